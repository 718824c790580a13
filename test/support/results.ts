import { randomUUID } from 'node:crypto';
import type { CheckResult } from '../../config/result.ts';

/** One run of a delivery http check as a probe pushes it: passing, or failing with an HTTP 503. */
export function httpRun(run: { check: string; vendor: string; probe: string; region: string; ok: boolean; startedAt: number }): CheckResult {
  return {
    id: randomUUID(),
    kind: 'http',
    role: 'delivery',
    ...run,
    degraded: false,
    reason: run.ok ? 'ok' : 'http_status',
    message: run.ok ? 'ok' : 'HTTP 503, expected 200-399',
    phases: { ttfb: 0.05, total: 0.06 },
    assertions: [],
    details: {},
  };
}
