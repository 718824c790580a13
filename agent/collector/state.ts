/**
 * Vendor states from the per-(check, region) verdicts of consensus.ts. Pure functions only.
 *
 * Conditions (each with the regions where it holds), by check role:
 *   delivery   a region is DOWN when any delivery check's outage verdict is failing there;
 *              a region HAS A VERDICT when any delivery check's outage verdict is not unknown.
 *              hard_down        when the down regions meet the global quorum of the regions with
 *                               a verdict (outageIsGlobal in consensus.ts)
 *              regional_outage  when some region is down but not enough for hard_down
 *   delivery, performance
 *              degraded         in a region that is not down where any of these checks' slow
 *                               verdict is failing (a degraded result, or a failing performance check)
 *   control    api_down         where any control check's outage verdict is failing
 *   telemetry  limited_visibility where any telemetry check's outage verdict is failing
 *   beacons    users_impacted   where real users' page views fail the vendor (rum/impact.ts:
 *                               enough page views, a share of them with a failed or over-budget
 *                               resource of the vendor), whatever the probes see (withUsersImpacted)
 *   unknown    when no delivery check has a verdict in any region (a vendor without delivery
 *              checks: when none of its checks has one)
 *   operational when none of the above holds (users_impacted included)
 * The state is the most severe condition that holds, in the order of `vendorStates`.
 * A region's own state is the same computation on that region's verdicts alone.
 *
 * Incidents, the alerts they raise and flapping follow `lastKnown` (see incidents.ts): losing
 * sight of a vendor (unknown) is neither a recovery nor a new problem.
 */
import { z } from 'zod';
import { checkRoles } from '../../config/result.ts';
import { outageIsGlobal, verdictSchema, voteSchema, type CheckVerdicts } from './consensus.ts';
import { realUsersSchema, type RealUsers } from './rum/impact.ts';

/** Most severe first. */
export const vendorStates = ['hard_down', 'regional_outage', 'degraded', 'users_impacted', 'api_down', 'limited_visibility', 'operational', 'unknown'] as const;
export const vendorStateSchema = z.enum(vendorStates);
export type VendorState = z.infer<typeof vendorStateSchema>;

/** States that mean something is wrong with the vendor (alerts fire, incidents open). */
const problemStates: readonly VendorState[] = ['hard_down', 'regional_outage', 'degraded', 'users_impacted', 'api_down', 'limited_visibility'];

const conditionSchema = z.object({ state: vendorStateSchema, regions: z.array(z.string()) });
export type Condition = z.infer<typeof conditionSchema>;

/** One (check, region) verdict row, the input of the state rules. */
export interface VerdictRow extends CheckVerdicts {
  check: string;
  role: (typeof checkRoles)[number];
  region: string;
}

/** What was seen in one (check, region): the verdicts, the counts and a sample of the votes. */
export const evidenceSchema = z.object({
  check: z.string(),
  role: z.enum(checkRoles),
  region: z.string(),
  outage: verdictSchema,
  slow: verdictSchema,
  voters: z.number().int(),
  failing: z.number().int(),
  slowVotes: z.number().int(),
  /** Up to EVIDENCE_VOTES votes, failing ones first. */
  votes: z.array(voteSchema),
  /** Probes whose votes were left out because they are probe_unhealthy. */
  excluded: z.array(z.string()),
});
export type Evidence = z.infer<typeof evidenceSchema>;

export const EVIDENCE_VOTES = 10;

const sorted = (set: Iterable<string>) => [...set].sort();

/** Every condition that holds for a vendor, most severe first; never empty. */
export function vendorConditions(rows: readonly VerdictRow[], globalQuorum: number | undefined): Condition[] {
  const regionsWhere = (pick: (r: VerdictRow) => boolean) => new Set(rows.filter(pick).map((r) => r.region));
  const delivery = rows.filter((r) => r.role === 'delivery');
  const down = regionsWhere((r) => r.role === 'delivery' && r.outage === 'failing');
  const judged = new Set(delivery.filter((r) => r.outage !== 'unknown').map((r) => r.region));
  const slow = regionsWhere((r) => (r.role === 'delivery' || r.role === 'performance') && r.slow === 'failing' && !down.has(r.region));
  const control = regionsWhere((r) => r.role === 'control' && r.outage === 'failing');
  const telemetry = regionsWhere((r) => r.role === 'telemetry' && r.outage === 'failing');
  const anyVerdict = (delivery.length ? delivery : rows).some((r) => r.outage !== 'unknown');

  const conditions: Condition[] = [];
  if (down.size) conditions.push({ state: outageIsGlobal(down.size, judged.size, globalQuorum) ? 'hard_down' : 'regional_outage', regions: sorted(down) });
  if (slow.size) conditions.push({ state: 'degraded', regions: sorted(slow) });
  if (control.size) conditions.push({ state: 'api_down', regions: sorted(control) });
  if (telemetry.size) conditions.push({ state: 'limited_visibility', regions: sorted(telemetry) });
  if (!anyVerdict) conditions.push({ state: 'unknown', regions: [] });
  else if (!conditions.length) conditions.push({ state: 'operational', regions: sorted(regionsWhere((r) => r.outage !== 'unknown')) });
  return conditions;
}

/**
 * The conditions with users_impacted added where real users are impacted (rum/impact.ts). It
 * stands on its own: it holds in regions without probes, and beside an operational verdict (which
 * it then replaces) or none at all.
 */
export function withUsersImpacted(conditions: readonly Condition[], regions: readonly string[]): Condition[] {
  if (!regions.length) return [...conditions];
  const rest = conditions.filter((c) => c.state !== 'operational' && c.state !== 'unknown');
  return stateOrder([...rest, { state: 'users_impacted', regions: sorted(regions) }]);
}

/** Per-region conditions with users_impacted added in its regions, each such region judged on its own (one without probes included). */
export function regionsWithUsersImpacted(byRegion: ReadonlyMap<string, Condition[]>, regions: readonly string[]): Map<string, Condition[]> {
  const out = new Map(byRegion);
  for (const region of regions) out.set(region, withUsersImpacted(out.get(region) ?? [], [region]));
  return new Map([...out].sort(([a], [b]) => a.localeCompare(b)));
}

const stateOrder = (conditions: Condition[]) => conditions.sort((a, b) => vendorStates.indexOf(a.state) - vendorStates.indexOf(b.state));

/** The state: the most severe condition that holds. */
export function stateOf(conditions: readonly Condition[]): Condition {
  return [...conditions].sort((a, b) => vendorStates.indexOf(a.state) - vendorStates.indexOf(b.state))[0] ?? { state: 'unknown', regions: [] };
}

/** Each region's conditions, computed as if it were the vendor's only region. */
export function regionConditions(rows: readonly VerdictRow[], globalQuorum: number | undefined): Map<string, Condition[]> {
  const byRegion = new Map<string, VerdictRow[]>();
  for (const r of rows) byRegion.set(r.region, [...(byRegion.get(r.region) ?? []), r]);
  return new Map([...byRegion].sort(([a], [b]) => a.localeCompare(b)).map(([region, rs]) => [region, vendorConditions(rs, globalQuorum)]));
}

export function isProblem(state: VendorState): boolean {
  return problemStates.includes(state);
}

export const severities = ['page', 'ticket'] as const;
export type Severity = (typeof severities)[number];

/**
 * Alert severity, the same words `vendorwatch rules` uses: page someone (delivery fails), or open
 * a ticket; users_impacted is `usersImpacted` (rum.users_impacted.severity).
 */
export function severityOf(state: VendorState, usersImpacted: Severity = 'ticket'): Severity {
  if (state === 'users_impacted') return usersImpacted;
  return state === 'hard_down' || state === 'regional_outage' ? 'page' : 'ticket';
}

/** The more severe of two states. */
export function worse(a: VendorState, b: VendorState): VendorState {
  return vendorStates.indexOf(a) <= vendorStates.indexOf(b) ? a : b;
}

const timedConditionSchema = conditionSchema.extend({ since: z.number() });

/** When an incident, or a flapping spell, raised its alert of each severity (the alert's startsAt); absent: not raised. */
export const raisedSchema = z.object({ page: z.number().optional(), ticket: z.number().optional() });

/** A vendor's state as the collector tracks it; journaled on every change and restored on restart. */
export const vendorStatusSchema = z.object({
  state: vendorStateSchema,
  since: z.number(),
  conditions: z.array(timedConditionSchema),
  regions: z.record(z.string(), z.array(conditionSchema)),
  evidence: z.array(evidenceSchema),
  /**
   * The last state that was not unknown, and what showed it. Incidents and alerts follow this:
   * losing sight of a vendor (unknown) is not a recovery, so it neither resolves nor re-fires.
   */
  lastKnown: conditionSchema.extend({ since: z.number(), evidence: z.array(evidenceSchema) }),
  /**
   * Set while the vendor flaps (see flappingAfter in incidents.ts): since when, the worst state
   * and regions of its incidents, and when it raised its VendorFlapping alert of each severity.
   */
  flapping: z
    .object({ since: z.number(), worst: vendorStateSchema, regions: z.array(z.string()), raised: raisedSchema.optional() })
    // Journals written before `raised` existed: the alert of its worst severity, since it began.
    .transform(({ raised, ...f }) => ({ ...f, raised: raised ?? { [severityOf(f.worst)]: f.since } }))
    .nullable(),
  /** What real users got from the vendor over rum.users_impacted.window, per region with page views (absent: no beacon data). */
  realUsers: realUsersSchema.optional(),
});
export type VendorStatus = z.infer<typeof vendorStatusSchema>;

const sameRegions = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((r, i) => r === b[i]);

/** What one evaluation saw for a vendor. */
interface Observation {
  conditions: Condition[];
  regions: Map<string, Condition[]>;
  evidence: Evidence[];
  realUsers?: RealUsers | undefined;
}

/** The vendor's status after an evaluation at `now`, from its previous status (if any); flapping is carried over. */
export function nextStatus(prev: VendorStatus | undefined, seen: Observation, now: number): VendorStatus {
  const top = stateOf(seen.conditions);
  const conditions = seen.conditions.map((c) => ({ ...c, since: prev?.conditions.find((p) => p.state === c.state)?.since ?? now }));
  let lastKnown = prev?.lastKnown ?? { state: 'unknown' as const, regions: [], since: now, evidence: [] };
  if (top.state !== 'unknown') {
    // Where a vendor is operational may shift as probes come and go; that is no change.
    const changed = lastKnown.state !== top.state || (isProblem(top.state) && !sameRegions(lastKnown.regions, top.regions));
    lastKnown = { state: top.state, regions: top.regions, since: changed ? now : lastKnown.since, evidence: seen.evidence };
  }
  return {
    state: top.state,
    since: prev && prev.state === top.state ? prev.since : now,
    conditions,
    regions: Object.fromEntries(seen.regions),
    evidence: seen.evidence,
    lastKnown,
    flapping: prev?.flapping ?? null,
    ...(seen.realUsers ? { realUsers: seen.realUsers } : {}),
  };
}

/** Whether a status changed in a way worth a journal line (not just fresher evidence). */
export function statusChanged(a: VendorStatus | undefined, b: VendorStatus): boolean {
  if (!a) return true;
  const shape = (s: VendorStatus) =>
    JSON.stringify([s.state, s.conditions.map((c) => [c.state, c.regions]), s.regions, s.lastKnown.state, s.lastKnown.regions, s.flapping]);
  return shape(a) !== shape(b);
}
