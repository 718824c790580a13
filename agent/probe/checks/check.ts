import { randomUUID } from 'node:crypto';
import type { Check, Vendor } from '../../../config/schema.ts';
import type { CheckKind, CheckResult, Reason, ResultOfKind } from '../../../config/result.ts';
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

/** The one signature of every check kind (like blackbox_exporter's probers): its config in, a result of its kind out. */
export type CheckRunner<K extends CheckKind> = (check: Extract<Check, { kind: K }>, ctx: CheckContext) => Promise<ResultOfKind<K>>;

/** A passing result with no phases and no details yet; a check fills them in. */
export function newResult<K extends CheckKind>(
  check: Pick<Check, 'name' | 'vendor' | 'role'> & { kind: K },
  probe: ProbeIdentity,
  startedAt = Date.now(),
): ResultOfKind<K> {
  const result: ResultOfKind<CheckKind> = {
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
  return result as ResultOfKind<K>;
}

/** Marks a result failed, keeping whatever phases and details it already has. */
export function fail<R extends CheckResult>(result: R, reason: Exclude<Reason, 'ok'>, message: string): R {
  return { ...result, ok: false, degraded: false, reason, message: message.slice(0, 2000) };
}
