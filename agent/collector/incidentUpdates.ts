/**
 * Periodic updates on an open incident (collector.incident_updates.every): what changed since
 * the last update (state, regions, votes, real-user impact), said in a sentence or two. Pure
 * functions only; the collector decides when (collector.ts) and the dispatcher sends it to
 * people's channels as the incident's alert again, with an `update` annotation: the same alert
 * identity, never a new one.
 */
import { humanDuration } from '../timeText.ts';
import { rowsBehind } from './alerts/alert.ts';
import type { Incident } from './incidents.ts';
import type { Alert } from './alerts/alert.ts';
import type { VendorState, VendorStatus } from './state.ts';

/** What an update compares: the incident as the probes (and real users) saw it at one moment. */
interface Snapshot {
  at: number;
  state: VendorState;
  regions: string[];
  /** Per region: failing (or slow) votes of voters behind the state. */
  votes: Record<string, { against: number; voters: number }>;
  realUsers: Incident['realUsers'];
}

function snapshotOf(status: VendorStatus, incident: Incident, at: number): Snapshot {
  const known = status.lastKnown;
  const votes: Snapshot['votes'] = {};
  for (const row of rowsBehind(known.state, known.regions, known.evidence)) {
    const v = (votes[row.region] ??= { against: 0, voters: 0 });
    v.against += known.state === 'degraded' ? row.slowVotes : row.failing;
    v.voters += row.voters;
  }
  return { at, state: known.state, regions: known.regions, votes, realUsers: incident.realUsers };
}

const words = (state: VendorState) => state.replaceAll('_', ' ');
const votesText = (s: Snapshot) =>
  Object.entries(s.votes)
    .map(([region, v]) => `${v.against} of ${v.voters} probes in ${region}`)
    .join(', ') || 'no votes on record';

/** "Update 2 on acme (open 1h 0m): …; since the last update 30m ago: …" */
export function updateText(vendor: string, n: number, incident: Incident, prev: Snapshot, next: Snapshot): string {
  const changes: string[] = [];
  if (prev.state !== next.state) changes.push(`${words(prev.state)} → ${words(next.state)}`);
  const newly = next.regions.filter((r) => !prev.regions.includes(r));
  const cleared = prev.regions.filter((r) => !next.regions.includes(r));
  if (newly.length) changes.push(`now also failing in ${newly.join(', ')}`);
  if (cleared.length) changes.push(`no longer failing in ${cleared.join(', ')}`);
  if (votesText(prev) !== votesText(next)) changes.push(`votes were ${votesText(prev)}`);
  const users = next.realUsers
    ? `real users: ${next.realUsers.affected} of ${next.realUsers.pageViews} page views affected so far${
        prev.realUsers ? ` (${next.realUsers.affected - prev.realUsers.affected} since the last update)` : ''
      }`
    : 'real users: no beacon data';
  const now = `${words(next.state)} in ${next.regions.join(', ')}, ${votesText(next)} failing`;
  const since = `since the last update ${humanDuration(next.at - prev.at)} ago: ${changes.length ? changes.join('; ') : 'no change'}`;
  return `Update ${n} on ${vendor} (incident open ${humanDuration(next.at - incident.start)}): ${now}; ${since}; ${users}.`;
}

/**
 * Follows open incidents for their updates: a snapshot of each one that raised an alert when
 * first seen, and every `everyMs` after that its next update. In memory only: after a restart
 * the first update comes one interval after it.
 */
export class IncidentUpdates {
  private readonly byIncident = new Map<string, { n: number; snapshot: Snapshot; text?: string }>();

  constructor(private readonly everyMs: number | 'off') {}

  /** Answers the incidents due for an update now (flapping vendors' incidents get none: their VendorFlapping alert stands for them). */
  follow(open: readonly { incident: Incident; status: VendorStatus | undefined }[], now: number): Incident[] {
    const ids = new Set(open.map((o) => o.incident.id));
    for (const id of this.byIncident.keys()) if (!ids.has(id)) this.byIncident.delete(id);
    if (this.everyMs === 'off') return [];
    const due: Incident[] = [];
    for (const { incident, status } of open) {
      if (!status || status.flapping || (incident.raised.page === undefined && incident.raised.ticket === undefined)) continue;
      const snapshot = snapshotOf(status, incident, now);
      const last = this.byIncident.get(incident.id);
      if (!last) this.byIncident.set(incident.id, { n: 0, snapshot });
      else if (now - last.snapshot.at >= this.everyMs) {
        const n = last.n + 1;
        this.byIncident.set(incident.id, { n, snapshot, text: updateText(incident.vendor, n, incident, last.snapshot, snapshot) });
        due.push(incident);
      }
    }
    return due;
  }

  /** A vendor alert with its incident's latest update, if any, as annotations (update, update_number, updated_at). */
  annotate(alert: Alert, incidentId: string): Alert {
    const u = this.byIncident.get(incidentId);
    if (!u?.text) return alert;
    const annotations = { ...alert.annotations, update: u.text, update_number: String(u.n), updated_at: new Date(u.snapshot.at).toISOString() };
    return { ...alert, annotations };
  }
}
