/**
 * Incidents: one per stretch of time a vendor is in a problem state, the evidence SLA reports
 * and post-mortems rest on, and the unit alerting counts in. Pure functions only.
 *
 * An incident opens when the vendor's last known state becomes a problem state, follows it
 * while it changes (the worst state, every state and region it went through, the evidence of
 * the worst moment), and closes when the vendor is seen operational again. A spell of unknown
 * (no consensus) neither opens nor closes one.
 *
 * Alerts (alerts/alert.ts): an incident raises one alert per severity it reaches, the first
 * time its state is of that severity (`raised`; a ticket only before any page), and every alert
 * it raised stays open until it closes. An outage spreading from one region to three, or a regional outage becoming hard
 * down, is one page; degraded then hard down is a ticket and a page; hard down easing to
 * degraded stays one page.
 *
 * Flapping counts incidents, not the changes within one: a vendor flaps when `incidents`
 * incidents opened within `window`. While it flaps its incidents raise nothing of their own
 * (one VendorFlapping alert stands for them, of the severity of the worst of them; should a
 * worse one come, it raises the page too, as an incident does); it stops once a whole window
 * has passed without a new incident and none is open.
 */
import { z } from 'zod';
import { postmortemSchema } from './incidentNotes.ts';
import {
  evidenceSchema,
  isProblem,
  raisedSchema,
  severityOf,
  vendorStates,
  vendorStateSchema,
  worse,
  type Severity,
  type VendorState,
  type VendorStatus,
} from './state.ts';

/**
 * What real users got while the incident was open (rum/impact.ts), in the incident's regions: page
 * views that used the vendor, those with one of its resources failed or over budget, the highest
 * share over one window (of at least rum.users_impacted.min_page_views) and where (null until a
 * region had that many), and who saw the problem first. Absent in journals from before, and for
 * vendors without beacon data.
 */
export const incidentRealUsersSchema = z.object({
  pageViews: z.number().int().nonnegative(),
  affected: z.number().int().nonnegative(),
  peakShare: z.number().min(0).max(1),
  peakRegion: z.string().nullable(),
  firstSeenBy: z.enum(['probes', 'real_users', 'both']),
});

export const incidentSchema = z.object({
  id: z.string(),
  vendor: z.string(),
  start: z.number(),
  end: z.number().nullable(),
  worst: vendorStateSchema,
  states: z.array(vendorStateSchema),
  regions: z.array(z.string()),
  flapped: z.boolean(),
  summary: z.string(),
  evidence: z.array(evidenceSchema),
  raised: raisedSchema.default({}),
  realUsers: incidentRealUsersSchema.optional(),
  /** Notes, owner, root cause, vendor ticket and follow-ups people added (incidentNotes.ts). */
  postmortem: postmortemSchema.optional(),
});
export type Incident = z.infer<typeof incidentSchema>;
type IncidentRealUsers = NonNullable<Incident['realUsers']>;

const union = (a: readonly string[], b: readonly string[]) => [...new Set([...a, ...b])].sort();

/**
 * The vendor's incident after this evaluation: still open, just closed (end set), or undefined
 * when it has none; `changed` says whether it must be journaled. `flapping` is whether the
 * vendor flaps with this incident counted (flappingAfter): a flapping vendor's incident raises
 * no alert of its own.
 */
export function nextIncident(
  open: Incident | undefined,
  vendor: string,
  status: VendorStatus,
  now: number,
  describe: () => string,
  newId: () => string,
): { incident: Incident | undefined; changed: boolean } {
  const known = status.lastKnown;
  if (!isProblem(known.state)) {
    if (!open) return { incident: undefined, changed: false };
    return { incident: { ...open, end: now }, changed: true };
  }
  if (!open) {
    return {
      incident: {
        id: newId(),
        vendor,
        start: now,
        end: null,
        worst: known.state,
        states: [known.state],
        regions: known.regions,
        flapped: false,
        summary: describe(),
        evidence: known.evidence,
        raised: {},
      },
      changed: true,
    };
  }
  const worsened = vendorStates.indexOf(known.state) < vendorStates.indexOf(open.worst);
  const next: Incident = {
    ...open,
    worst: worse(open.worst, known.state),
    states: open.states.includes(known.state) ? open.states : [...open.states, known.state],
    regions: union(open.regions, known.regions),
    summary: worsened ? describe() : open.summary,
    evidence: worsened ? known.evidence : open.evidence,
  };
  return { incident: next, changed: journaledShape(next) !== journaledShape(open) };
}

const journaledShape = (i: Incident) =>
  JSON.stringify([i.worst, i.states, i.regions, i.flapped, i.raised, i.realUsers?.firstSeenBy, i.realUsers?.peakShare, i.realUsers?.peakRegion]);

/**
 * Who saw a problem first, from the status that opened the incident: real users alone
 * (users_impacted the only problem condition), probes alone, or both in the same evaluation.
 */
function firstSeenBy(status: VendorStatus): IncidentRealUsers['firstSeenBy'] {
  const users = status.conditions.some((c) => c.state === 'users_impacted');
  const probes = status.conditions.some((c) => c.state !== 'users_impacted' && isProblem(c.state)) || status.lastKnown.state !== 'users_impacted';
  return users && probes ? 'both' : users ? 'real_users' : 'probes';
}

/**
 * An incident (open, or closed by this evaluation) with this evaluation's real-user figures
 * folded in: `added`, the page views in its regions since the last evaluation
 * (RealUserImpact.takeNew), and the window's share in each of its regions with at least
 * `minPageViews` page views, the highest kept as its peak.
 */
export function withRealUsers(
  incident: Incident,
  status: VendorStatus,
  added: { pageViews: number; affected: number },
  minPageViews: number,
): { incident: Incident; changed: boolean } {
  const prev = incident.realUsers ?? { pageViews: 0, affected: 0, peakShare: 0, peakRegion: null, firstSeenBy: firstSeenBy(status) };
  let { peakShare, peakRegion } = prev;
  for (const r of status.realUsers?.regions ?? []) {
    if (!incident.regions.includes(r.region) || r.pageViews < minPageViews || r.share <= peakShare) continue;
    peakShare = r.share;
    peakRegion = r.region;
  }
  const realUsers = { ...prev, pageViews: prev.pageViews + added.pageViews, affected: prev.affected + added.affected, peakShare, peakRegion };
  const next = { ...incident, realUsers };
  return { incident: next, changed: journaledShape(next) !== journaledShape(incident) };
}

/**
 * The alerts an open incident has raised after this evaluation: the severity of the vendor's
 * state now, if not raised before, unless the vendor flaps. Marks the incident flapped if so.
 */
export function withAlerts(
  incident: Incident,
  state: VendorState,
  flapping: boolean,
  now: number,
  usersImpacted: Severity = 'ticket',
): { incident: Incident; changed: boolean } {
  if (incident.end !== null || !isProblem(state)) return { incident, changed: false };
  if (flapping) return incident.flapped ? { incident, changed: false } : { incident: { ...incident, flapped: true }, changed: true };
  const severity = severityOf(state, usersImpacted);
  // A page stands for the whole incident: easing to a ticket-level state raises nothing more.
  if (incident.raised[severity] !== undefined || incident.raised.page !== undefined) return { incident, changed: false };
  return { incident: { ...incident, raised: { ...incident.raised, [severity]: now } }, changed: true };
}

interface FlappingRule {
  window: number;
  incidents: number;
  /** The severity of users_impacted (rum.users_impacted.severity; default ticket). */
  usersImpacted?: Severity;
}

/**
 * Whether a vendor flaps after this evaluation, from the incidents that opened within the
 * window (the open one included) and whether one is open now. Hysteresis: it starts at
 * `rule.incidents` incidents in the window and ends once the window holds none and none is
 * open. While it flaps, the worst state and the regions only grow.
 */
export function flappingAfter(
  prev: VendorStatus['flapping'],
  recent: readonly Incident[],
  openNow: boolean,
  now: number,
  rule: FlappingRule,
): VendorStatus['flapping'] {
  const inWindow = recent.filter((i) => i.start > now - rule.window);
  if (!prev && inWindow.length < rule.incidents) return null;
  if (prev && !inWindow.length && !openNow) return null;
  const worst = inWindow.reduce<VendorState>((w, i) => worse(w, i.worst), prev?.worst ?? 'operational');
  const severity = severityOf(worst, rule.usersImpacted);
  const raised = prev?.raised ?? {};
  return {
    since: prev?.since ?? now,
    worst,
    regions: inWindow.reduce<string[]>((rs, i) => union(rs, i.regions), prev?.regions ?? []),
    raised: raised[severity] === undefined && raised.page === undefined ? { ...raised, [severity]: now } : raised,
  };
}
