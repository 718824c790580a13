import { randomUUID } from 'node:crypto';
import type { Check, Vendor } from '../../../config/schema.ts';
import type { CheckResult, Reason } from '../../../config/result.ts';
import type { Logger } from '../../log.ts';

export interface ProbeIdentity {
  id: string;
  region: string;
}

/** What every check kind gets besides its own config. */
export interface CheckContext {
  /** Aborted at the check's timeout or on shutdown; checks must stop promptly. */
  signal: AbortSignal;
  probe: ProbeIdentity;
  logger: Logger;
  /** The vendor registry, for attributing requests to vendors. */
  vendors: readonly Vendor[];
}

/** The one signature of every check kind (like blackbox_exporter's probers). */
export type CheckRunner<C extends Check = Check> = (check: C, ctx: CheckContext) => Promise<CheckResult>;

/** A passing result with no phases yet; a check fills it in. */
export function newResult(check: Pick<Check, 'name' | 'vendor' | 'kind' | 'role'>, probe: ProbeIdentity, startedAt = Date.now()): CheckResult {
  return {
    id: randomUUID(),
    check: check.name,
    vendor: check.vendor,
    kind: check.kind,
    role: check.role,
    probe: probe.id,
    region: probe.region,
    startedAt,
    ok: true,
    degraded: false,
    reason: 'ok',
    message: 'ok',
    phases: {},
    assertions: [],
    details: {},
  };
}

/** Marks a result failed, keeping whatever phases and details it already has. */
export function fail(result: CheckResult, reason: Exclude<Reason, 'ok'>, message: string): CheckResult {
  return { ...result, ok: false, degraded: false, reason, message: message.slice(0, 2000) };
}
