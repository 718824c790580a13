/**
 * Alerts: what the collector tells people, built from incidents and probe state. Written for
 * someone woken at 2 a.m.: a two-sentence summary first, then who voted how, where it fails,
 * since when, and where to go next. Every receiver (Alertmanager, webhook, Slack) sends these,
 * and `vendorwatch rules` raises the same alertnames with the same labels (docs/alerts.md, "The alert contract").
 *
 * Labels are the alert's identity and carry only what routing needs, so an alert lives as long
 * as what it is about (Alertmanager de-duplicates on them, so collectors in HA agree):
 *   VendorOutage    {vendor, severity="page"}    an incident reached hard_down or regional_outage
 *   VendorImpaired  {vendor, severity="ticket"}  an incident reached degraded, users_impacted (unless
 *                                                rum.users_impacted.severity is page), api_down or limited_visibility
 *   VendorFlapping  {vendor, severity}           several incidents within the flapping window
 *   ProbeDown       {probe, region, severity="ticket"}
 *   ProbeUnhealthy  {probe, region, severity="ticket"}
 *   ProbeClockSkew  {probe, region, severity="ticket"}
 * State, regions, votes and evidence are annotations: an outage that spreads or eases updates
 * its alert, never resolves it and fires another. A resolved alert says what happened.
 * Vendor alerts also say what real users get (`real_users`), whether probes and real users agree
 * (`sources`) and which saw the problem first (`first_seen_by`): realUsersAnnotations.
 */
import { z } from 'zod';
import type { Vendor } from '../../../config/schema.ts';
import type { Vote } from '../consensus.ts';
import type { Incident } from '../incidents.ts';
import { duration, humanDuration, utc } from '../../timeText.ts';
import type { RealUsers } from '../rum/impact.ts';
import { isProblem, type Evidence, type Severity, type VendorState, type VendorStatus } from '../state.ts';

export const alertSchema = z.object({
  labels: z.record(z.string(), z.string()),
  annotations: z.record(z.string(), z.string()),
  startsAt: z.number(),
  /** Set once resolved. */
  endsAt: z.number().optional(),
});
export type Alert = z.infer<typeof alertSchema>;

/** An alert's identity: its sorted labels. */
export function alertKey(labels: Alert['labels']): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));
}

/** The alertname of a vendor incident's alert of each severity. */
const VENDOR_ALERTS: Record<Severity, string> = { page: 'VendorOutage', ticket: 'VendorImpaired' };

/** How a state reads in a sentence: "hard down", "degraded". */
const stateWords = (state: VendorState) => state.replaceAll('_', ' ');

/** What a vendor in a state was, as a resolved alert says it: "was hard down", "had a regional outage". */
const WAS: Record<VendorState, string> = {
  hard_down: 'was hard down',
  regional_outage: 'had a regional outage',
  degraded: 'was degraded',
  users_impacted: 'failed real users',
  api_down: 'had its control API down',
  limited_visibility: 'had limited visibility',
  operational: 'was operational',
  unknown: 'was unseen',
};

const PHASE_ORDER = ['dns', 'connect', 'tls', 'ttfb', 'transfer'] as const;

/** Where a failed run stopped: the phase it was in, from its reason and the phases it completed. */
export function failedPhase(vote: Pick<Vote, 'reason' | 'phases' | 'message'>): string {
  if (vote.reason === 'dns' || vote.reason === 'connect' || vote.reason === 'tls') return vote.reason;
  if (vote.reason === 'timeout' || vote.reason === 'reset') {
    const done = PHASE_ORDER.filter((p) => vote.phases[p] !== undefined);
    const last = done[done.length - 1];
    if (!last) return 'ttfb';
    // Plain HTTP has no TLS phase: after connect comes the wait for the response, unless the message says otherwise.
    if (last === 'connect') return /tls|handshake|certificate/i.test(vote.message) ? 'tls' : 'ttfb';
    return PHASE_ORDER[Math.min(PHASE_ORDER.indexOf(last) + 1, PHASE_ORDER.length - 1)]!;
  }
  if (vote.reason === 'script') return 'script';
  if (vote.reason === 'internal') return 'probe';
  return 'response';
}

/** "at connect", "at ttfb (timeout)", "in the response (http_status)" */
export function whereItFailed(vote: Pick<Vote, 'reason' | 'phases' | 'message'>): string {
  const phase = failedPhase(vote);
  if (phase === vote.reason) return `at ${phase}`;
  return `${phase === 'response' ? 'in the response' : `at ${phase}`} (${vote.reason})`;
}

/** "eu-1 ✗ timeout at ttfb" / "eu-2 ✓" / "eu-3 ✓ slow" */
function voteText(v: Vote): string {
  if (!v.ok) {
    const phase = failedPhase(v);
    return `${v.probe} ✗ ${v.reason}${phase === v.reason || phase === 'response' ? '' : ` at ${phase}`}`;
  }
  return v.degraded ? `${v.probe} ✓ slow` : `${v.probe} ✓`;
}

/** One line per (check, region): the verdict and every probe's vote. */
export function votesText(evidence: readonly Evidence[]): string {
  return evidence
    .map((e) => {
      const verdict = e.outage === 'failing' ? 'failing' : e.slow === 'failing' ? 'slow' : e.outage;
      const against = e.outage === 'failing' || e.slow !== 'failing' ? `${e.failing} of ${e.voters} fail` : `${e.slowVotes} of ${e.voters} slow`;
      const votes = e.votes.map(voteText).join(', ') + (e.voters > e.votes.length ? `, … ${e.voters - e.votes.length} more` : '');
      const excluded = e.excluded.length ? ` (ignored, unhealthy: ${e.excluded.join(', ')})` : '';
      return `${e.check} in ${e.region}: ${verdict}, ${against}${votes ? `: ${votes}` : ''}${excluded}`;
    })
    .join('\n');
}

const ROLE_OF: Partial<Record<VendorState, Evidence['role'][]>> = {
  hard_down: ['delivery'],
  regional_outage: ['delivery'],
  degraded: ['delivery', 'performance'],
  // No probe fails for it: its votes show what the delivery checks see meanwhile.
  users_impacted: ['delivery'],
  api_down: ['control'],
  limited_visibility: ['telemetry'],
};

/** The evidence rows behind a state, in the given regions: failing (or slow) rows only. */
export function rowsBehind(state: VendorState, regions: readonly string[], evidence: readonly Evidence[]): Evidence[] {
  const roles = ROLE_OF[state] ?? [];
  return evidence.filter((e) => roles.includes(e.role) && regions.includes(e.region) && (state === 'degraded' ? e.slow === 'failing' : e.outage === 'failing'));
}

/** '2 of 2 probes fail acme-js in the response (http_status): "HTTP 503, expected 200-399"' */
export function evidenceSentence(state: VendorState, rows: readonly Evidence[]): string {
  const byCheck = new Map<string, Evidence[]>();
  for (const r of rows) byCheck.set(r.check, [...(byCheck.get(r.check) ?? []), r]);
  const [check, checkRows] = [...byCheck].sort(([, a], [, b]) => b.length - a.length)[0] ?? [];
  if (!check || !checkRows) return 'No probe votes are on record';
  const slow = state === 'degraded';
  const against = checkRows.reduce((n, r) => n + (slow ? r.slowVotes : r.failing), 0);
  const voters = checkRows.reduce((n, r) => n + r.voters, 0);
  const sample = checkRows.flatMap((r) => r.votes).find((v) => !v.ok || v.degraded);
  const how = !sample ? '' : `${sample.ok ? '' : ` ${whereItFailed(sample)}`}: "${sample.message.slice(0, 160)}"`;
  const others = byCheck.size > 1 ? ` (and ${byCheck.size - 1} more check${byCheck.size > 2 ? 's' : ''})` : '';
  return `${against} of ${voters} probes ${slow ? 'find' : 'fail'} ${check}${slow ? ' slow' : ''}${how}${others}`;
}

function headline(vendor: string, state: VendorState, regions: readonly string[], allRegions: readonly string[], realUsers?: RealUsers): string {
  const where = regions.join(', ');
  const fine = allRegions.filter((r) => !regions.includes(r));
  switch (state) {
    case 'hard_down':
      return `${vendor} is HARD DOWN: delivery fails in ${regions.length} of ${allRegions.length} regions (${where}).`;
    case 'regional_outage':
      return `${vendor} has a REGIONAL OUTAGE in ${where}: delivery fails there${fine.length ? ` but works in ${fine.join(', ')}` : ''}.`;
    case 'degraded':
      return `${vendor} is DEGRADED in ${where}: it still delivers, but slowly.`;
    case 'users_impacted':
      return `${vendor} is FAILING REAL USERS in ${where}: ${impactText(vendor, realUsers, regions)}.`;
    case 'api_down':
      return `${vendor}'s control API is DOWN in ${where}: configuration changes and purges may fail; delivery itself still works.`;
    case 'limited_visibility':
      return `${vendor} has LIMITED VISIBILITY in ${where}: its telemetry or reporting API fails or is stale, so its own numbers can't be trusted.`;
    default:
      return `${vendor} is ${state}.`;
  }
}

export interface AlertLinks {
  /** The top-level alerts.dashboard_url, used when a vendor has no dashboard of its own. */
  dashboard?: string | undefined;
}

/**
 * Runbook and dashboard links for a vendor's alerts (also used by `vendorwatch rules`): its own
 * dashboard, else the shared one opened on this vendor (the generated Grafana dashboard takes
 * `var-vendor`).
 */
export function vendorLinks(vendor: Pick<Vendor, 'name' | 'runbook' | 'dashboard'>, dashboardUrl: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (vendor.runbook) out.runbook_url = vendor.runbook;
  if (vendor.dashboard) out.dashboard_url = vendor.dashboard;
  else if (dashboardUrl) {
    const url = new URL(dashboardUrl);
    url.searchParams.set('var-vendor', vendor.name);
    out.dashboard_url = url.toString();
  }
  return out;
}

function links(vendor: Vendor, opts: AlertLinks): Record<string, string> {
  return { ...vendorLinks(vendor, opts.dashboard), ...(vendor.status_page ? { vendor_status_url: vendor.status_page } : {}) };
}

function linkLines(l: Record<string, string>): string[] {
  return [
    l.runbook_url ? `Runbook: ${l.runbook_url}` : 'Runbook: none in the vendor registry (add vendors[].runbook)',
    ...(l.dashboard_url ? [`Dashboard: ${l.dashboard_url}`] : []),
    ...(l.vendor_status_url ? [`Vendor's own status page: ${l.vendor_status_url}`] : []),
  ];
}

/**
 * How to work with the vendor (its registry entry): support_url, escalation, contacts and
 * contract annotations, for whoever opens the ticket with it. Absent fields are left out.
 */
export function vendorSupport(vendor: Pick<Vendor, 'support_url' | 'contacts' | 'escalation' | 'contract'>): Record<string, string> {
  const out: Record<string, string> = {};
  if (vendor.support_url) out.support_url = vendor.support_url;
  if (vendor.escalation?.length) out.escalation = vendor.escalation.map((step, i) => `${i + 1}. ${step}`).join(' ');
  if (vendor.contacts?.length) out.contacts = vendor.contacts.map((c) => `${c.name}: ${c.channel}`).join('; ');
  if (vendor.contract) out.contract = vendor.contract;
  return out;
}

/** The vendor support annotations as lines of an alert's description. */
function supportLines(support: Record<string, string>): string[] {
  return [
    ...(support.support_url ? [`Vendor support: ${support.support_url}`] : []),
    ...(support.contacts ? [`Vendor contacts: ${support.contacts}`] : []),
    ...(support.escalation ? [`Escalation: ${support.escalation}`] : []),
    ...(support.contract ? [`Contract: ${support.contract}`] : []),
  ];
}

/** Two sentences on a vendor in trouble, from what the probes (or, for users_impacted, real users) see now (its lastKnown state). */
export function vendorSummary(vendor: Vendor, status: VendorStatus, incident: Incident | undefined): string {
  const known = status.lastKnown;
  const allRegions = [...new Set(known.evidence.filter((e) => e.outage !== 'unknown').map((e) => e.region))].sort();
  const rows = rowsBehind(known.state, known.regions, known.evidence);
  const since = incident?.start ?? known.since;
  const evidence = known.state === 'users_impacted' ? probesThere(known.regions, known.evidence) : evidenceSentence(known.state, rows);
  return `${headline(vendor.name, known.state, known.regions, allRegions, status.realUsers)} ${evidence}, since ${utc(since)}.`;
}

// --- real users (rum/impact.ts) beside the probes ---

const percent = (share: number) => `${Math.round(share * 100)}%`;

/**
 * "31% of 4,210 page views in eu-west had an edgeco resource fail or take over 3s in the last
 * 5m": the most affected of `regions` with page views, else of all regions with page views.
 */
function impactText(vendor: string, realUsers: RealUsers | undefined, regions: readonly string[]): string {
  const seen = realUsers?.regions ?? [];
  const here = seen.filter((r) => regions.includes(r.region));
  const worst = (here.length ? here : seen).reduce<(typeof seen)[number] | undefined>(
    (w, r) => (!w || r.share > w.share || (r.share === w.share && r.pageViews > w.pageViews) ? r : w),
    undefined,
  );
  if (!realUsers || !worst) return `no beacon data for ${vendor}`;
  const views = `${worst.pageViews.toLocaleString('en-US')} page view${worst.pageViews === 1 ? '' : 's'}`;
  return `${percent(worst.share)} of ${views} in ${worst.region} had ${/^[aeiou]/i.test(vendor) ? 'an' : 'a'} ${vendor} resource fail or take over ${duration(realUsers.budget)} in the last ${duration(realUsers.window)}`;
}

/** The `real_users` annotation: "real users: 31% of 4,210 page views in eu-west had …". */
export function realUsersLine(vendor: string, realUsers: RealUsers | undefined, regions: readonly string[]): string {
  return `real users: ${impactText(vendor, realUsers, regions)}`;
}

/** What the probes see in regions where real users are impacted: "probes see nothing wrong there (2 of 2 pass edge-home)". */
function probesThere(regions: readonly string[], evidence: readonly Evidence[]): string {
  const rows = evidence.filter((e) => e.role === 'delivery' && regions.includes(e.region) && e.outage !== 'unknown');
  if (!rows.length) return `No probe has a verdict there`;
  const voters = rows.reduce((n, r) => n + r.voters, 0);
  const failing = rows.reduce((n, r) => n + r.failing, 0);
  return failing ? `Probes there: ${failing} of ${voters} votes fail` : `Probes see nothing wrong there (${voters} of ${voters} votes pass)`;
}

/**
 * The real-user annotations of a vendor alert: `real_users`, one line on what users get where the
 * problem is; `sources`, whether probes and real users agree; `first_seen_by`, who saw it first
 * (probes, real_users or both), when the incident has beacon data.
 */
export function realUsersAnnotations(vendor: string, status: VendorStatus, incident: Incident): Record<string, string> {
  const known = status.lastKnown;
  const users = status.conditions.some((c) => c.state === 'users_impacted');
  const probes = known.state !== 'users_impacted' || status.conditions.some((c) => c.state !== 'users_impacted' && isProblem(c.state));
  const sources =
    users && probes
      ? 'probes and real users agree'
      : users
        ? 'only real users see it; the probes do not'
        : status.realUsers
          ? 'only the probes see it; real users are not failing enough for users_impacted'
          : 'only the probes see it; no beacon data to compare';
  const first = incident.realUsers?.firstSeenBy;
  return { real_users: realUsersLine(vendor, status.realUsers, known.regions), sources, ...(first ? { first_seen_by: first } : {}) };
}

/** "probes saw it first", as the description and the status page say it. */
export const FIRST_SEEN: Record<NonNullable<Incident['realUsers']>['firstSeenBy'], string> = {
  probes: 'probes saw it first',
  real_users: 'real users saw it first',
  both: 'probes and real users saw it at once',
};

/** "1,305 of 4,210 page views affected; at worst 31% in eu-west; real users saw it first": an incident's real users, as the status page and the evidence pack say it. */
export function realUsersSummary(r: NonNullable<Incident['realUsers']>): string {
  const peak = r.peakRegion ? `; at worst ${Math.round(r.peakShare * 100)}% in ${r.peakRegion}` : '';
  return `${r.affected.toLocaleString('en-US')} of ${r.pageViews.toLocaleString('en-US')} page views affected${peak}; ${FIRST_SEEN[r.firstSeenBy]}`;
}

/**
 * The alert an open incident raised at `severity` (incidents.ts says when): labelled with the
 * vendor and the severity only, worded from what the probes see now (VendorStatus.lastKnown),
 * so it follows the incident as it spreads, eases or goes unseen.
 */
export function vendorAlert(vendor: Vendor, status: VendorStatus, incident: Incident, severity: Severity, opts: AlertLinks): Alert {
  const known = status.lastKnown;
  const rows = rowsBehind(known.state, known.regions, known.evidence);
  const startsAt = incident.raised[severity] ?? incident.start;
  const summary = vendorSummary(vendor, status, incident);
  const votes = votesText(known.evidence.filter((e) => ROLE_OF[known.state]?.includes(e.role)));
  const sample = rows.flatMap((r) => r.votes).find((v) => !v.ok || v.degraded);
  const also = status.conditions.filter((c) => c.state !== known.state && c.state !== 'operational').map((c) => c.state);
  const eased = incident.worst !== known.state;
  const l = links(vendor, opts);
  const support = vendorSupport(vendor);
  const users = realUsersAnnotations(vendor.name, status, incident);
  const first = incident.realUsers ? `; ${FIRST_SEEN[incident.realUsers.firstSeenBy]}` : '';
  const description = [
    summary,
    '',
    `State: ${known.state} in ${known.regions.join(', ')} since ${utc(known.since)}; incident ${incident.id} open since ${utc(incident.start)}.`,
    ...(eased ? [`At worst ${incident.worst} in ${incident.regions.join(', ')}; this alert resolves when ${vendor.name} is operational again.`] : []),
    ...(status.state === 'unknown' ? ['No consensus right now (too few probes voting): showing the last votes that decided.'] : []),
    ...(also.length ? [`Also holding: ${also.join(', ')}.`] : []),
    `Real users: ${impactText(vendor.name, status.realUsers, known.regions)}; ${users.sources}${first}.`,
    'Votes:',
    votes,
    ...(sample
      ? [`${sample.ok ? 'Slow' : `Fails ${whereItFailed(sample)}`}, e.g. probe ${sample.probe} in ${sample.region}: "${sample.message.slice(0, 300)}"`]
      : []),
    ...linkLines(l),
    ...supportLines(support),
  ].join('\n');
  return {
    labels: { alertname: VENDOR_ALERTS[severity], vendor: vendor.name, severity },
    annotations: {
      summary,
      description,
      state: known.state,
      regions: known.regions.join(', '),
      worst_state: incident.worst,
      regions_affected: incident.regions.join(', '),
      incident: incident.id,
      votes,
      since: new Date(incident.start).toISOString(),
      ...(sample ? { sample: sample.message.slice(0, 300) } : {}),
      ...(sample && !sample.ok ? { phase: failedPhase(sample), reason: sample.reason } : {}),
      ...users,
      ...l,
      ...support,
    },
    startsAt,
  };
}

/**
 * The alert a flapping vendor raises at `severity` instead of one per incident (flappingAfter in
 * incidents.ts says when); `incidents`: those since the window before it began.
 */
export function flappingAlert(
  vendor: Vendor,
  status: VendorStatus,
  severity: Severity,
  incidents: readonly Incident[],
  windowMs: number,
  opts: AlertLinks,
): Alert {
  const flap = status.flapping!;
  const recent = [...incidents].sort((a, b) => a.start - b.start);
  const times = recent.map((i) => `${utc(i.start).slice(11, 16)} (${stateWords(i.worst)})`).join(', ');
  const summary =
    `${vendor.name} is FLAPPING: ${recent.length} separate incidents since ${utc(recent[0]?.start ?? flap.since)}, at ${times}; now ${stateWords(status.lastKnown.state)}. ` +
    `Its incidents raise no alerts of their own until a whole ${duration(windowMs)} passes without a new one; this alert stays open meanwhile.`;
  const l = links(vendor, opts);
  const description = [
    summary,
    '',
    `Flapping since ${utc(flap.since)}; worst: ${flap.worst}; regions involved: ${flap.regions.join(', ') || 'none'}.`,
    'Latest votes:',
    votesText(status.lastKnown.evidence),
    ...linkLines(l),
  ].join('\n');
  return {
    labels: { alertname: 'VendorFlapping', vendor: vendor.name, severity },
    annotations: {
      summary,
      description,
      state: status.lastKnown.state,
      regions: status.lastKnown.regions.join(', '),
      worst_state: flap.worst,
      regions_affected: flap.regions.join(', '),
      incidents: String(recent.length),
      since: new Date(flap.since).toISOString(),
      ...l,
      ...vendorSupport(vendor),
    },
    startsAt: flap.raised[severity] ?? flap.since,
  };
}

export function probeDownAlert(probe: string, region: string, lastSeen: number, now: number, opts: AlertLinks): Alert {
  const summary =
    `Probe ${probe} in ${region} has sent no results for ${humanDuration(now - lastSeen)} (last at ${utc(lastSeen)}). ` +
    `Its votes have expired, so ${region} may have too few probes for a verdict; check the probe process and its path to the collector.`;
  return {
    labels: { alertname: 'ProbeDown', probe, region, severity: 'ticket' },
    annotations: { summary, description: summary, since: new Date(lastSeen).toISOString(), ...(opts.dashboard ? { dashboard_url: opts.dashboard } : {}) },
    startsAt: lastSeen,
  };
}

export function probeUnhealthyAlert(
  probe: string,
  region: string,
  vendors: readonly string[],
  checks: readonly string[],
  since: number,
  opts: AlertLinks,
): Alert {
  const summary =
    `Probe ${probe} in ${region} is UNHEALTHY: it fails checks of ${vendors.length} vendors (${vendors.join(', ')}) that every other probe passes. ` +
    `Its votes are ignored, so no vendor is blamed for it; look at the probe's network, DNS, clock and disk.`;
  const description = [summary, '', `Checks it alone fails: ${checks.join(', ')}.`].join('\n');
  return {
    labels: { alertname: 'ProbeUnhealthy', probe, region, severity: 'ticket' },
    annotations: { summary, description, since: new Date(since).toISOString(), ...(opts.dashboard ? { dashboard_url: opts.dashboard } : {}) },
    startsAt: since,
  };
}

/**
 * The alert as sent when it resolves: its summary says what happened, from the annotations it
 * carried ("Resolved: cdna was hard down in r1, r2, r3 for 4m 12s.").
 */
export function resolvedAlert(alert: Alert, now: number): Alert {
  const a = alert.annotations;
  const who = alert.labels.vendor ?? `probe ${alert.labels.probe}`;
  const lasted = humanDuration(now - alert.startsAt);
  const worstState = a.worst_state as VendorState | undefined;
  const worst = worstState ? stateWords(worstState) : undefined;
  const where = a.regions_affected ? ` in ${a.regions_affected}` : '';
  let what: string;
  switch (alert.labels.alertname) {
    case 'VendorFlapping':
      what = `${who} stopped flapping after ${lasted}: ${a.incidents ?? 'several'} incidents, at worst ${worst}${where}.`;
      break;
    case 'ProbeDown':
      what = `${who} in ${alert.labels.region} reports again after ${lasted} without results.`;
      break;
    case 'ProbeUnhealthy':
      what = `${who} in ${alert.labels.region} is healthy again (unhealthy for ${lasted}).`;
      break;
    default:
      what = `${who} ${worstState ? WAS[worstState] : 'was in trouble'}${where} for ${lasted}${a.incident ? ` (incident ${a.incident})` : ''}.`;
  }
  return {
    ...alert,
    annotations: { ...a, summary: `Resolved: ${what}`, description: `Resolved: ${what}\n\nAs last reported while open:\n${a.description ?? ''}` },
    endsAt: now,
  };
}

/**
 * A probe whose clock is off by more than collector.max_clock_skew. Labelled as the new alert
 * contract has it (alertname, probe, region, severity); its votes are not corrected, so it says
 * what becomes of them.
 */
export function probeClockSkewAlert(probe: string, region: string, skewMs: number, limitMs: number, since: number, opts: AlertLinks): Alert {
  const off = `${duration(Math.abs(skewMs))} ${skewMs > 0 ? 'behind' : 'ahead of'}`;
  const effect =
    skewMs > 0
      ? 'Its results look that much older than they are, so its votes fall out of the consensus window early or entirely'
      : 'Its results look that much newer than they are, and those more than collector.max_result_ahead ahead are refused';
  const summary =
    `Probe ${probe} in ${region} has a clock ${off} the collector's (more than the ${duration(limitMs)} allowed). ` +
    `${effect}, so ${region} may have too few votes for a verdict; fix the probe's time sync (NTP).`;
  const description = [
    summary,
    '',
    `Off by more than ${duration(limitMs)} since ${utc(since)}: the smallest gap, over the last minute of pushes, between the collector's receive time and the probe's own time (its push's sentAt, else the end of its newest result).`,
  ].join('\n');
  return {
    labels: { alertname: 'ProbeClockSkew', probe, region, severity: 'ticket' },
    annotations: { summary, description, since: new Date(since).toISOString(), ...(opts.dashboard ? { dashboard_url: opts.dashboard } : {}) },
    startsAt: since,
  };
}
