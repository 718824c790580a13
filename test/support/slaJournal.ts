/**
 * A hand-made month of journal (November 2025) and hourly result counts, for the SLA report tests.
 * The expected figures are worked out by hand in the tests that use it.
 *
 *   acme-cdn (SLA 99.9%, p95 ≤ 300 ms; regions eu, us, ap)
 *     Nov 3  10:00–10:30  hard_down in all 3 regions   incident inc-1   30 min down
 *     Nov 10 00:00–03:00  regional_outage in eu        incident inc-2   3 h × 1/3 = 60 min down
 *     Nov 20 00:00–12:00  unknown                                        not measured
 *     Nov 25 00:00–01:00  degraded in us               incident inc-3   available
 *     an October incident (inc-0), outside the period
 *   payco (SLA 99.5%): first seen Nov 15, operational since
 *   dnsco (no SLA; one region): Nov 28 00:00–06:00 hard_down  incident inc-4
 *
 * Real users (beacon data): acme-cdn has RUM rollup lines in two November hours and one December
 * hour (outside), and inc-1 and inc-3 carry `realUsers`; inc-2 has none (no beacon covered it).
 * payco has no beacon data at all.
 */
import { writeFileSync } from 'node:fs';
import type { HourLine } from '../../agent/collector/hourlyResults.ts';
import type { Incident } from '../../agent/collector/incidents.ts';
import type { JournalEvent } from '../../agent/collector/journal.ts';
import { rumBuckets } from '../../agent/collector/rum/buckets.ts';
import type { RumHourLine } from '../../agent/collector/rum/hourly.ts';
import type { Evidence, VendorState, VendorStatus } from '../../agent/collector/state.ts';
import { phaseBuckets } from '../../agent/metrics.ts';

export const CONFIG = `vendors:
  - { name: acme-cdn, kind: cdn, sla: { availability: 99.9, latency_p95_ms: 300 }, rum_slo: { success_percent: 99.5, resource_time_ms: 250 } }
  - { name: payco, kind: payment, sla: { availability: 99.5 } }
  - { name: dnsco, kind: dns }
`;

const t = (iso: string) => Date.parse(iso);

/** A journaled status: the state in `down` regions (or everywhere for unknown), operational elsewhere. */
function status(state: VendorState, regions: string[], all: string[], at: number): VendorStatus {
  const where = state === 'operational' || state === 'unknown' ? (state === 'unknown' ? [] : all) : regions;
  const regionState = (r: string): VendorState => {
    if (state === 'unknown') return 'unknown';
    if (!regions.includes(r)) return 'operational';
    return state === 'regional_outage' ? 'hard_down' : state;
  };
  return {
    state,
    since: at,
    conditions: [{ state, regions: where, since: at }],
    regions: Object.fromEntries(all.map((r) => [r, [{ state: regionState(r), regions: state === 'unknown' ? [] : [r] }]])),
    evidence: [],
    lastKnown: { state: state === 'unknown' ? 'operational' : state, regions: where, since: at, evidence: [] },
    flapping: null,
  };
}

const failing = (check: string, region: string, probes: string[]): Evidence => ({
  check,
  role: 'delivery',
  region,
  outage: 'failing',
  slow: 'passing',
  voters: probes.length,
  failing: probes.length,
  slowVotes: 0,
  votes: probes.map((probe) => ({ probe, region, ok: false, degraded: false, reason: 'timeout', message: 'aborted at the check timeout', phases: {}, at: 0 })),
  excluded: [],
});

function incident(
  id: string,
  vendor: string,
  start: string,
  end: string,
  worst: VendorState,
  regions: string[],
  evidence: Evidence[],
  realUsers?: Incident['realUsers'],
): JournalEvent[] {
  const open: Incident = {
    id,
    vendor,
    start: t(start),
    end: null,
    worst,
    states: [worst],
    regions,
    flapped: false,
    summary: `${vendor} was ${worst} in ${regions.join(', ')}.`,
    evidence,
    raised: { page: t(start) },
    ...(realUsers && { realUsers }),
  };
  return [
    { type: 'incident', at: t(start), incident: open },
    { type: 'incident', at: t(end), incident: { ...open, end: t(end) } },
  ];
}

export function journalEvents(): JournalEvent[] {
  const acme = ['ap', 'eu', 'us'];
  const v = (vendor: string, at: string, state: VendorState, regions: string[], all: string[]): JournalEvent => ({
    type: 'vendor',
    at: t(at),
    vendor,
    status: status(state, regions, all, t(at)),
  });
  return [
    ...incident('inc-0', 'acme-cdn', '2025-10-15T08:00:00Z', '2025-10-15T09:00:00Z', 'hard_down', acme, []),
    v('acme-cdn', '2025-10-31T23:00:00Z', 'operational', [], acme),
    v('dnsco', '2025-10-01T00:00:00Z', 'operational', [], ['eu']),
    v('acme-cdn', '2025-11-03T10:00:00Z', 'hard_down', acme, acme),
    ...incident(
      'inc-1',
      'acme-cdn',
      '2025-11-03T10:00:00Z',
      '2025-11-03T10:30:00Z',
      'hard_down',
      acme,
      acme.map((r) => failing('acme-js', r, [`${r}-1`, `${r}-2`])),
      { pageViews: 1200, affected: 310, peakShare: 0.31, peakRegion: 'eu', firstSeenBy: 'real_users' },
    ),
    v('acme-cdn', '2025-11-03T10:30:00Z', 'operational', [], acme),
    v('acme-cdn', '2025-11-10T00:00:00Z', 'regional_outage', ['eu'], acme),
    ...incident('inc-2', 'acme-cdn', '2025-11-10T00:00:00Z', '2025-11-10T03:00:00Z', 'regional_outage', ['eu'], [failing('acme-js', 'eu', ['eu-1', 'eu-2'])]),
    v('acme-cdn', '2025-11-10T03:00:00Z', 'operational', [], acme),
    v('payco', '2025-11-15T00:00:00Z', 'operational', [], ['eu']),
    v('acme-cdn', '2025-11-20T00:00:00Z', 'unknown', [], acme),
    v('acme-cdn', '2025-11-20T12:00:00Z', 'operational', [], acme),
    v('acme-cdn', '2025-11-25T00:00:00Z', 'degraded', ['us'], acme),
    ...incident('inc-3', 'acme-cdn', '2025-11-25T00:00:00Z', '2025-11-25T01:00:00Z', 'degraded', ['us'], [], {
      pageViews: 800,
      affected: 40,
      peakShare: 0.06,
      peakRegion: 'us',
      firstSeenBy: 'probes',
    }),
    v('acme-cdn', '2025-11-25T01:00:00Z', 'operational', [], acme),
    v('dnsco', '2025-11-28T00:00:00Z', 'hard_down', ['eu'], ['eu']),
    ...incident('inc-4', 'dnsco', '2025-11-28T00:00:00Z', '2025-11-28T06:00:00Z', 'hard_down', ['eu'], [failing('dnsco-soa', 'eu', ['eu-1'])]),
    v('dnsco', '2025-11-28T06:00:00Z', 'operational', [], ['eu']),
  ].sort((a, b) => a.at - b.at);
}

/** Latency counts: index 5 is the ≤ 50 ms bucket, 6 ≤ 100 ms, 8 ≤ 500 ms (see phaseBuckets). */
function latency(counts: Record<number, number>): number[] {
  return [...phaseBuckets.map((_, i) => counts[i] ?? 0), 0];
}

export function hourLines(): HourLine[] {
  return [
    { vendor: 'acme-cdn', hour: t('2025-10-31T23:00:00Z'), runs: 50, failures: 50, latency: latency({}), slow: 0 },
    { vendor: 'acme-cdn', hour: t('2025-11-05T00:00:00Z'), runs: 100, failures: 2, latency: latency({ 5: 50, 6: 40, 8: 8 }), slow: 4 },
    // a late line for the same hour adds up
    { vendor: 'acme-cdn', hour: t('2025-11-05T00:00:00Z'), runs: 2, failures: 0, latency: latency({ 5: 2 }), slow: 0 },
    { vendor: 'acme-cdn', hour: t('2025-12-01T00:00:00Z'), runs: 10, failures: 10, latency: latency({}), slow: 0 },
  ];
}

/** RUM load times: counts per rumBuckets bound in seconds (and "inf" above the last). */
function durations(counts: Record<string, number>): number[] {
  return [...rumBuckets.map((b) => counts[String(b)] ?? 0), counts.inf ?? 0];
}

export function rumHourLines(): RumHourLine[] {
  return [
    // 600 loads, 6 failed; 400 timed: 200 ≤ 50 ms, 100 in (50, 100], 100 in (200, 300] ms
    { vendor: 'acme-cdn', hour: t('2025-11-03T10:00:00Z'), pageViews: 150, loads: 400, failed: 5, durations: durations({ '0.05': 150, '0.1': 50, '0.3': 50 }) },
    { vendor: 'acme-cdn', hour: t('2025-11-05T00:00:00Z'), pageViews: 50, loads: 200, failed: 1, durations: durations({ '0.05': 50, '0.1': 50, '0.3': 50 }) },
    { vendor: 'acme-cdn', hour: t('2025-12-01T00:00:00Z'), pageViews: 10, loads: 10, failed: 10, durations: durations({ inf: 10 }) },
  ];
}

/** Writes the month as a collector would have: journal.jsonl, journal.hourly.jsonl and (given a path) journal.rum-hourly.jsonl. */
export function writeSlaJournal(journal: string, hourly: string, rumHourly?: string): void {
  if (rumHourly)
    writeFileSync(
      rumHourly,
      rumHourLines()
        .map((l) => `${JSON.stringify(l)}\n`)
        .join(''),
    );
  writeFileSync(
    journal,
    journalEvents()
      .map((e) => `${JSON.stringify(e)}\n`)
      .join(''),
  );
  writeFileSync(
    hourly,
    hourLines()
      .map((l) => `${JSON.stringify(l)}\n`)
      .join(''),
  );
}
