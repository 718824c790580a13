/**
 * `vendorwatch report`: each vendor's measured availability and latency over a period, against the
 * SLA in the registry, with the incidents behind a breach — evidence to send with a credit claim.
 * Pure: it reads journal events and hourly result lines handed to it.
 *
 * Availability (from the journal's vendor states):
 *   Every moment of the period is in the state the collector last journaled for the vendor.
 *   - `unknown` time (too few probes voting), and time before the vendor's first journaled
 *     state, is not measured: it counts neither for nor against the vendor, and is reported.
 *   - Downtime is time in `hard_down` or `regional_outage`, weighted by the share of regions
 *     down: down regions ÷ regions where a delivery check had a verdict. One region of three
 *     down for 3 hours is 1 hour of downtime; every region down is full downtime.
 *   - `degraded`, `api_down` and `limited_visibility` count as available: content was delivered.
 *     Slowness is the latency SLI's business.
 *   availability = 1 − downtime ÷ measured time.
 *   Time the collector was stopped counts in the state it last journaled.
 *
 * Latency (from hourly result counts, `hourlyResults.ts`): successful delivery runs in the UTC
 * hours that start inside the period. p95 is estimated from histogram buckets; the share of runs
 * slower than `sla.latency_p95_ms` is exact. The latency objective is met when at most 5% of
 * runs are slower than that.
 *
 * Error budget: availability allows (100 − SLA)% of the measured time as downtime; latency
 * allows 5% of the runs to be slow. "Left" is what remains (negative once breached).
 *
 * Incidents (from the journal) that overlap the period are listed with their downtime inside it;
 * when the availability SLA is breached, every one with downtime is marked as breaching, and the
 * moment the budget ran out is named.
 *
 * Real users (rum.ts, from the hourly RUM rollup and each incident's `realUsers`) are reported
 * beside, never in the SLA verdict.
 */
import { LATENCY_SLA_BUDGET, type Config, type Vendor } from '../../config/schema.ts';
import { vendorSupport, votesText } from '../collector/alerts/alert.ts';
import type { Postmortem } from '../collector/incidentNotes.ts';
import type { HourLine } from '../collector/hourlyResults.ts';
import type { RumHourLine } from '../collector/rum/hourly.ts';
import type { Incident } from '../collector/incidents.ts';
import { replay, type JournalEvent } from '../collector/journal.ts';
import { vendorStates, type VendorState, type VendorStatus } from '../collector/state.ts';
import { bucketQuantile } from '../histogram.ts';
import { phaseBuckets } from '../metrics.ts';
import { rumReport, type RumReport } from './rum.ts';

interface Period {
  from: number;
  /** Exclusive. */
  to: number;
}

export interface IncidentReport {
  id: string;
  start: number;
  end: number | null;
  worst: VendorState;
  states: VendorState[];
  regions: string[];
  summary: string;
  /** Weighted downtime inside the period, ms. */
  downtimeMs: number;
  /** Of the period's availability budget, percent (undefined without an availability SLA). */
  budgetPercent: number | undefined;
  breaching: boolean;
  /** The votes at the incident's worst, one line per (check, region). */
  evidence: string;
  /** What real users saw while it was open; undefined when no beacon data covered it. */
  realUsers: Incident['realUsers'];
  /** Notes, owner, root cause, vendor ticket and follow-ups people added (vendorwatch incident note). */
  postmortem: Postmortem | undefined;
}

export interface VendorReport {
  vendor: string;
  /** How to work with the vendor, from the registry (alert.ts vendorSupport: support_url, escalation, contacts, contract). */
  support: Record<string, string>;
  sla: Vendor['sla'] | null;
  /** Milliseconds of the period measured (not unknown, not before the first state), unknown, and down. */
  measuredMs: number;
  unknownMs: number;
  downtimeMs: number;
  /** Wall-clock time with any region down, ms (unweighted). */
  outageMs: number;
  availability: {
    percent: number | undefined;
    met: boolean | undefined;
    budgetMs: number | undefined;
    budgetLeftMs: number | undefined;
    budgetLeftPercent: number | undefined;
    /** When the downtime passed the budget, if it did. */
    exhaustedAt: number | undefined;
  };
  runs: { total: number; failed: number; successPercent: number | undefined };
  latency: {
    /** Successful runs with a timing. */
    runs: number;
    p95Ms: number | undefined;
    slowRuns: number | undefined;
    slowPercent: number | undefined;
    met: boolean | undefined;
    budgetLeftPercent: number | undefined;
  };
  incidents: IncidentReport[];
  /** Real users (beacon data): resource load success, p75 resource time, page views affected during incidents. */
  rum: RumReport;
}

export interface SlaReport {
  period: Period;
  /** The end of what was measured: the period's end, or now for a period still running. */
  measuredUntil: number;
  vendors: VendorReport[];
}

const DOWN: readonly VendorState[] = ['hard_down', 'regional_outage'];

/** The share of the vendor's regions that are down in a journaled status: 0 to 1, or undefined when not measured. */
export function downShare(status: Pick<VendorStatus, 'state' | 'conditions' | 'regions'>): number | undefined {
  if (status.state === 'unknown') return undefined;
  const down = new Set(status.conditions.filter((c) => DOWN.includes(c.state)).flatMap((c) => c.regions));
  if (!down.size) return 0;
  const judged = Object.entries(status.regions).filter(([, cs]) => !cs.some((c) => c.state === 'unknown')).length;
  return judged ? Math.min(1, down.size / judged) : 1;
}

/** One stretch of time in one state: [start, end), with its down share (undefined: not measured). */
interface Stretch {
  start: number;
  end: number;
  share: number | undefined;
}

type VendorEvent = Extract<JournalEvent, { type: 'vendor' }>;

/** The vendor's timeline inside [from, until), from its journaled states. */
function timeline(events: readonly VendorEvent[], from: number, until: number): Stretch[] {
  const stretches: Stretch[] = [];
  let share: number | undefined;
  let since = from;
  for (const e of events) {
    if (e.at >= until) break;
    if (e.at > since) stretches.push({ start: since, end: e.at, share });
    since = Math.max(since, e.at);
    share = downShare(e.status);
  }
  if (until > since) stretches.push({ start: since, end: until, share });
  return stretches;
}

const HOUR_MS = 3_600_000;

/** One hour of a vendor's history: the worst state it was in, or undefined before its first journaled state. */
export interface StateHour {
  hour: number;
  worst: VendorState | undefined;
}

/**
 * The vendor's worst journaled state in each UTC hour starting at `from` (an hour start), up to
 * `until`: the state it was in when the hour began and every state it entered inside it. States
 * rank as in `vendorStates`, so an hour is `unknown` only when nothing better was known in it.
 */
export function stateHours(events: readonly JournalEvent[], vendor: string, from: number, until: number): StateHour[] {
  const mine = events.filter((e): e is VendorEvent => e.type === 'vendor' && e.vendor === vendor).sort((a, b) => a.at - b.at);
  const out: StateHour[] = [];
  let next = 0;
  let current: VendorState | undefined;
  for (let hour = from; hour < until; hour += HOUR_MS) {
    while (next < mine.length && mine[next]!.at <= hour) current = mine[next++]!.status.state;
    let worst = current;
    while (next < mine.length && mine[next]!.at < Math.min(hour + HOUR_MS, until)) {
      current = mine[next++]!.status.state;
      if (worst === undefined || vendorStates.indexOf(current) < vendorStates.indexOf(worst)) worst = current;
    }
    out.push({ hour, worst });
  }
  return out;
}

const overlap = (s: Stretch, a: number, b: number) => Math.max(0, Math.min(s.end, b) - Math.max(s.start, a));
const percent = (part: number, whole: number) => (whole > 0 ? (100 * part) / whole : undefined);

export function slaReport(
  config: Config,
  events: readonly JournalEvent[],
  hours: readonly HourLine[],
  period: Period,
  now: number,
  vendors = config.vendors,
  rumHours: readonly RumHourLine[] = [],
): SlaReport {
  const until = Math.min(period.to, now);
  const sorted = [...events].sort((a, b) => a.at - b.at);
  // One pass over the journal: each vendor's states in order, and each incident's last version.
  const states = new Map<string, VendorEvent[]>();
  for (const e of sorted) {
    if (e.type !== 'vendor') continue;
    const list = states.get(e.vendor);
    if (list) list.push(e);
    else states.set(e.vendor, [e]);
  }
  const incidents = [...replay(sorted).incidents.values()].sort((a, b) => a.start - b.start);
  return {
    period,
    measuredUntil: until,
    vendors: vendors.map((v) =>
      vendorReport(
        v,
        states.get(v.name) ?? [],
        incidents.filter((i) => i.vendor === v.name),
        hours,
        period,
        until,
        rumHours,
      ),
    ),
  };
}

function vendorReport(
  vendor: Vendor,
  states: readonly VendorEvent[],
  vendorIncidents: readonly Incident[],
  hours: readonly HourLine[],
  period: Period,
  until: number,
  rumHours: readonly RumHourLine[],
): VendorReport {
  const stretches = timeline(states, period.from, until);
  const measured = stretches.filter((s) => s.share !== undefined);
  const measuredMs = measured.reduce((n, s) => n + (s.end - s.start), 0);
  const downtimeMs = measured.reduce((n, s) => n + (s.end - s.start) * s.share!, 0);
  const outageMs = measured.filter((s) => s.share! > 0).reduce((n, s) => n + (s.end - s.start), 0);
  const target = vendor.sla?.availability;
  const budgetMs = target === undefined ? undefined : ((100 - target) / 100) * measuredMs;
  const availabilityPercent = measuredMs ? 100 * (1 - downtimeMs / measuredMs) : undefined;
  const met = target === undefined || availabilityPercent === undefined ? undefined : availabilityPercent >= target;

  const incidents = vendorIncidents
    .filter((i) => i.start < until && (i.end ?? until) > period.from)
    .map((i): IncidentReport => {
      const downtime = measured.reduce((n, s) => n + overlap(s, i.start, i.end ?? until) * s.share!, 0);
      return {
        id: i.id,
        start: i.start,
        end: i.end,
        worst: i.worst,
        states: i.states,
        regions: i.regions,
        summary: i.summary,
        downtimeMs: downtime,
        budgetPercent: budgetMs ? (100 * downtime) / budgetMs : undefined,
        breaching: met === false && downtime > 0,
        evidence: votesText(i.evidence.filter((e) => e.outage === 'failing' || e.slow === 'failing')),
        realUsers: i.realUsers,
        postmortem: i.postmortem,
      };
    });

  const mine = hours.filter((h) => h.vendor === vendor.name && h.hour >= period.from && h.hour < period.to);
  const runs = mine.reduce((n, h) => n + h.runs, 0);
  const failed = mine.reduce((n, h) => n + h.failures, 0);
  const buckets = phaseBuckets.map((_, i) => mine.reduce((n, h) => n + h.latency[i]!, 0)).concat(mine.reduce((n, h) => n + h.latency[phaseBuckets.length]!, 0));
  const timed = buckets.reduce((a, b) => a + b, 0);
  const p95 = bucketQuantile(phaseBuckets, buckets, 0.95);
  const latencySla = vendor.sla?.latency_p95_ms;
  const slowRuns = latencySla === undefined ? undefined : mine.reduce((n, h) => n + h.slow, 0);
  const slowShare = slowRuns === undefined || !timed ? undefined : slowRuns / timed;

  return {
    vendor: vendor.name,
    support: vendorSupport(vendor),
    sla: vendor.sla ?? null,
    measuredMs,
    unknownMs: until - period.from - measuredMs,
    downtimeMs,
    outageMs,
    availability: {
      percent: availabilityPercent,
      met,
      budgetMs,
      budgetLeftMs: budgetMs === undefined ? undefined : budgetMs - downtimeMs,
      budgetLeftPercent: budgetMs ? (100 * (budgetMs - downtimeMs)) / budgetMs : undefined,
      exhaustedAt: budgetMs === undefined ? undefined : exhaustedAt(measured, budgetMs),
    },
    runs: { total: runs, failed, successPercent: percent(runs - failed, runs) },
    latency: {
      runs: timed,
      p95Ms: p95 === undefined ? undefined : p95 * 1000,
      slowRuns,
      slowPercent: slowShare === undefined ? undefined : 100 * slowShare,
      met: slowShare === undefined ? undefined : slowShare <= LATENCY_SLA_BUDGET,
      budgetLeftPercent: slowRuns === undefined || !timed ? undefined : (100 * (LATENCY_SLA_BUDGET * timed - slowRuns)) / (LATENCY_SLA_BUDGET * timed),
    },
    incidents,
    rum: rumReport(vendor, rumHours, incidents, period),
  };
}

/** The moment the downtime, accumulated in time order, passed the budget. */
function exhaustedAt(measured: readonly Stretch[], budgetMs: number): number | undefined {
  let spent = 0;
  for (const s of measured) {
    const here = (s.end - s.start) * s.share!;
    if (here > 0 && spent + here > budgetMs) return s.start + (budgetMs - spent) / s.share!;
    spent += here;
  }
  return undefined;
}

/** Each incident of the vendor as last journaled (an incident is journaled again as it changes and when it ends). */
/**
 * The period from the command line: `--month YYYY-MM` (UTC), or `--from ISO [--to ISO]` (to
 * defaults to now), or by default the current UTC month. Throws with a readable reason.
 */
export function reportPeriod(opts: { month?: string; from?: string; to?: string }, now: number): Period {
  if (opts.month !== undefined) {
    if (opts.from !== undefined || opts.to !== undefined) throw new Error('give either --month or --from/--to, not both');
    const m = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(opts.month);
    if (!m) throw new Error(`--month expects YYYY-MM, got "${opts.month}"`);
    const [year, month] = [Number(m[1]), Number(m[2])];
    return { from: Date.UTC(year, month - 1, 1), to: Date.UTC(year, month, 1) };
  }
  if (opts.from === undefined) {
    if (opts.to !== undefined) throw new Error('--to needs --from');
    const d = new Date(now);
    return { from: Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1), to: Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) };
  }
  const time = (flag: string, text: string) => {
    const ms = Date.parse(text);
    if (Number.isNaN(ms)) throw new Error(`${flag} expects an ISO 8601 time such as 2025-11-01T00:00:00Z, got "${text}"`);
    return ms;
  };
  const from = time('--from', opts.from);
  const to = opts.to === undefined ? now : time('--to', opts.to);
  if (to <= from) throw new Error('--to must be after --from');
  return { from, to };
}
