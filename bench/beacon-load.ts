/**
 * The beacon ingest benchmark's load generator, a process of its own pinned to one core, so it
 * never competes with the server it drives (pinned to the other). It POSTs real beacons: the
 * one a page sent, each with a fresh navigation id, because the collector answers a page view it
 * has already seen with 409. Bodies are made before a time box starts (`prepare`), so gzipping
 * them is not measured; then `run` keeps N beacons in flight over N kept-alive connections for
 * the time box and reports every answer's status and latency.
 *
 * Run as a script (bench/script-process.ts), it reads one command per line on stdin and answers
 * each with one JSON line on stdout.
 */
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { Pool } from 'undici';
import { readyLine, runScript, startScript } from './script-process.ts';

/** What to send: the captured beacon, its navigation id (replaced per beacon), and how. */
interface BeaconBodies {
  /** The beacon's JSON as the page sent it. */
  json: string;
  /** Its navigation id, found once in `json`. */
  nav: string;
  /** Gzipped (as the page sends a beacon while it is alive) or plain JSON (as when it is left). */
  gzip: boolean;
  /** How many to make now; a box that needs more makes them as it goes (and says how many). */
  count: number;
}

export interface Run {
  /** Base URL of the server, e.g. "http://127.0.0.1:41234". */
  origin: string;
  path: string;
  headers: Record<string, string>;
  seconds: number;
  /** Beacons in flight, one per connection. */
  inFlight: number;
  /**
   * Send the prepared bodies again once they run out, rather than make more: for a server that
   * does not read them (the bare one), so making bodies never slows the generator down.
   */
  reuse: boolean;
}

export interface RunResult {
  /** From the first request to the last answer (the drain included). */
  seconds: number;
  /** Answers by HTTP status; "error" for a request that got no answer. */
  answers: Record<string, number>;
  /** The first non-2xx answer or error, for the report. */
  firstFailure?: string;
  latenciesMs: number[];
  meanBodyBytes: number;
  /** Bodies made during the box because `prepare` made too few (and `reuse` was off). */
  madeDuringBox: number;
}

type Command = ({ cmd: 'prepare' } & BeaconBodies) | ({ cmd: 'run' } & Run);

interface LoadGenerator {
  prepare(bodies: BeaconBodies): Promise<void>;
  run(run: Run): Promise<RunResult>;
  pid: number;
  close(): Promise<void>;
}

/** Starts the generator pinned to `core` (taskset). */
export async function startLoadGenerator(core: number): Promise<LoadGenerator> {
  const script = startScript(fileURLToPath(import.meta.url), [], { cpu: core });
  await readyLine<{ ready: true }>(script, 'the beacon load generator');
  // One command at a time: the benchmark awaits each answer before it sends the next.
  const ask = async <T>(command: Command, timeoutMs: number): Promise<T> => {
    script.send(JSON.stringify(command));
    const reply = JSON.parse(await script.next(timeoutMs)) as { ok: true; value: T } | { ok: false; error: string };
    if (!reply.ok) throw new Error(`load generator: ${reply.error}`);
    return reply.value;
  };
  return {
    pid: script.pid,
    prepare: (bodies) => ask<void>({ cmd: 'prepare', ...bodies }, 300_000),
    run: (run) => ask<RunResult>({ cmd: 'run', ...run }, (run.seconds + 120) * 1000),
    close: () => script.close(),
  };
}

// --- The generator process ---

/** Unique navigation ids for this process's life: a random prefix and a counter. */
const navPrefix = randomBytes(4).toString('hex');
let navCounter = 0;

function bodyMaker({ json, nav, gzip }: BeaconBodies): () => Buffer {
  const parts = json.split(nav);
  if (parts.length !== 2) throw new Error(`the beacon must hold its navigation id "${nav}" exactly once`);
  return () => {
    const text = parts.join(`${navPrefix}${(navCounter++).toString(16).padStart(8, '0')}`);
    return gzip ? gzipSync(text) : Buffer.from(text);
  };
}

let make: (() => Buffer) | undefined;
let bodies: Buffer[] = [];

function prepare(spec: BeaconBodies): void {
  make = bodyMaker(spec);
  bodies = Array.from({ length: spec.count }, make);
}

async function run({ origin, path, headers, seconds, inFlight, reuse }: Run): Promise<RunResult> {
  if (!make) throw new Error('run before prepare');
  const next = make;
  const pool = new Pool(origin, { connections: inFlight, pipelining: 1 });
  const answers: Record<string, number> = {};
  const latenciesMs: number[] = [];
  let firstFailure: string | undefined;
  let madeDuringBox = 0;
  let bodyBytes = 0;
  let taken = 0;
  const take = () => {
    if (taken < bodies.length || (reuse && bodies.length)) return bodies[taken++ % bodies.length]!;
    madeDuringBox++;
    return next();
  };
  const start = performance.now();
  const deadline = start + seconds * 1000;
  const worker = async () => {
    while (performance.now() < deadline) {
      const body = take();
      bodyBytes += body.length;
      const sent = performance.now();
      let status: string;
      try {
        const res = await pool.request({ path, method: 'POST', headers, body });
        status = String(res.statusCode);
        if (res.statusCode >= 300) firstFailure ??= `HTTP ${res.statusCode}: ${(await res.body.text()).slice(0, 200)}`;
        else await res.body.dump();
      } catch (err) {
        status = 'error';
        firstFailure ??= (err as Error).message;
      }
      latenciesMs.push(performance.now() - sent);
      answers[status] = (answers[status] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const elapsed = (performance.now() - start) / 1000;
  await pool.close();
  return {
    seconds: elapsed,
    answers,
    ...(firstFailure && { firstFailure }),
    latenciesMs,
    meanBodyBytes: latenciesMs.length ? bodyBytes / latenciesMs.length : 0,
    madeDuringBox,
  };
}

await runScript(import.meta.url, async () => {
  let answered = Promise.resolve();
  createInterface({ input: process.stdin }).on('line', (line) => {
    const command = JSON.parse(line) as Command;
    answered = answered.then(async () => {
      try {
        const value = command.cmd === 'prepare' ? prepare(command) : await run(command);
        process.stdout.write(`${JSON.stringify({ ok: true, value: value ?? null })}\n`);
      } catch (err) {
        process.stdout.write(`${JSON.stringify({ ok: false, error: (err as Error).message })}\n`);
      }
    });
  });
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
  return () => answered;
});
