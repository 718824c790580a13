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
