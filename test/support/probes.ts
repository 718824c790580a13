import { freePort, startCli, waitFor, type Running } from './processes.ts';
import { randomUUID } from 'node:crypto';
import type { CheckResult } from '../../config/result.ts';
import type { Check } from '../../config/schema.ts';

/** The fleet most collector tests push as: two probes in each of two regions, as [probe, region]. */
export const FOUR_PROBES = [
  ['eu-1', 'eu'],
  ['eu-2', 'eu'],
  ['us-1', 'us'],
  ['us-2', 'us'],
] as const;

/**
 * A `vendorwatch collector` listening at `collectorUrl` and one `vendorwatch probe` per [id,
 * region] pushing to it, all on one config, with `env` (the token) set; `ready` waits until the
 * collector's /v1/vendors satisfies it, and shows the collector's output if it never does.
 */
export async function startFleet(opts: {
  config: string;
  collectorUrl: string;
  probes: readonly (readonly [string, string])[];
  env: NodeJS.ProcessEnv;
  ready: (vendors: { name: string; state: string }[]) => boolean;
}): Promise<{ collector: Running; collectorArgs: string[]; probes: Running[] }> {
  const collectorArgs = ['collector', '--config', opts.config, '--listen', new URL(opts.collectorUrl).host];
  const collector = startCli(collectorArgs, { env: opts.env });
  const probes: Running[] = [];
  for (const [id, region] of opts.probes) {
    const listen = `127.0.0.1:${await freePort()}`;
    probes.push(
      startCli(['probe', '--config', opts.config, '--listen', listen, '--id', id, '--region', region, '--collector', opts.collectorUrl], { env: opts.env }),
    );
  }
  await waitFor(
    async () => {
      const body = (await (await fetch(`${opts.collectorUrl}/v1/vendors`)).json()) as { ready: boolean; vendors: { name: string; state: string }[] };
      return body.ready && opts.ready(body.vendors);
    },
    // Five Node processes starting at once on a loaded 2-core machine can take most of a minute.
    { what: 'the vendors ready', timeoutMs: 100_000 },
  ).catch((err: Error) => {
    throw new Error(`${err.message}\ncollector:\n${collector.output().slice(-4000)}`);
  });
  return { collector, collectorArgs, probes };
}

/** One http check run as a probe pushes it: passing, failing with an HTTP 503, or slow. */
export function httpRun(
  check: Pick<Check, 'name' | 'vendor' | 'role'>,
  probe: string,
  region: string,
  startedAt: number,
  outcome: boolean | 'slow',
): CheckResult {
  const ok = outcome !== true;
  return {
    id: randomUUID(),
    check: check.name,
    vendor: check.vendor,
    kind: 'http',
    role: check.role,
    probe,
    region,
    startedAt,
    ok,
    degraded: outcome === 'slow',
    reason: ok ? 'ok' : 'http_status',
    message: ok ? 'ok' : 'HTTP 503, expected 200-399',
    phases: { ttfb: 0.05, total: 0.06 },
    assertions: [],
    details: {},
  };
}
