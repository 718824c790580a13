/**
 * The ceiling for result ingest: bare node:http servers that take the same pushes the collector
 * takes and do only part of its work, so the collector's rate can be read against them.
 *   parse     reads the body (the collector's own readBody, same size limit), JSON.parse, 204
 *   validate  the same, then the collector's own zod schema for a push (400 if it fails), 204
 * Neither checks a token, keeps a vote or evaluates anything.
 *
 * Run as a script (`ceiling.ts parse|validate`), it prints its URL as one JSON line and exits
 * when its stdin closes; the benchmark pins it to a CPU like the collector.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { pushBodySchema } from '../agent/collector/ingest.ts';
import { readBody } from '../agent/server.ts';
import { readyLine, runScript, startScript } from './script-process.ts';

const ceilingModes = ['parse', 'validate'] as const;
type CeilingMode = (typeof ceilingModes)[number];

/** The collector's default collector.max_body_bytes. */
const MAX_BODY_BYTES = 1_048_576;

export interface Ceiling {
  mode: CeilingMode;
  url: string;
  pid: number;
  close(): Promise<void>;
}

export async function startCeiling(mode: CeilingMode, cpu: number): Promise<Ceiling> {
  const script = startScript(fileURLToPath(import.meta.url), [mode], { cpu });
  const { url } = await readyLine<{ url: string }>(script, `the ${mode} ceiling server`);
  return { mode, url, pid: script.pid, close: () => script.close() };
}

await runScript(import.meta.url, async ([mode]) => {
  if (!ceilingModes.includes(mode as CeilingMode)) throw new Error(`expected one of ${ceilingModes.join(', ')}, got ${mode}`);
  const server = createServer(async (req, res) => {
    try {
      const json: unknown = JSON.parse((await readBody(req, MAX_BODY_BYTES)).toString('utf8'));
      res.statusCode = mode === 'validate' && !pushBodySchema.safeParse(json).success ? 400 : 204;
    } catch {
      res.statusCode = 400;
    }
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })}\n`);
  return () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
});
