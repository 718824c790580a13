/**
 * The SLA report's numbers against a hand-made month (test/support/slaJournal.ts), worked out by hand:
 *
 *   November 2025 = 30 days = 2 592 000 s.
 *   acme-cdn: unknown 12 h (43 200 s), so measured 2 548 800 s. Downtime: inc-1 30 min × 3/3 = 1800 s,
 *     inc-2 3 h × 1/3 = 3600 s; 5400 s in all (any region down: 30 min + 3 h = 12 600 s).
 *     Availability 1 − 5400 / 2 548 800 = 99.788135…%, under the 99.9% SLA: breached.
 *     Budget 0.1% × 2 548 800 = 2548.8 s; left −2851.2 s (−111.864…%). inc-1 spends 1800 s, so the
 *     budget runs out 748.8 s of downtime into inc-2, i.e. 2246.4 s after it began (one region of three).
 *     Runs 102, 2 failed; 100 successful with a timing: 52 ≤ 50 ms, 40 ≤ 100 ms, 8 in (250, 500] ms,
 *     so p95 (rank 95) lies 3/8 into (250, 500]: 343.75 ms; 4 slower than 300 ms = 4% ≤ 5%: met,
 *     with (5 − 4) / 5 = 20% of the latency budget left.
 *   payco: first state Nov 15, so measured 16 days (1 382 400 s), 14 days not measured; 100%;
 *     budget 0.5% × 1 382 400 = 6912 s, all left.
 *   dnsco: 6 h hard down in its only region: 1 − 21 600 / 2 592 000 = 99.1666…%; no SLA.
 *
 * Real users (the RUM rollup; the December line is outside the period):
 *   acme-cdn: 200 page views, 600 loads, 6 failed: 99% succeeded, under the 99.5% objective.
 *     400 timed loads: 200 ≤ 50 ms, 100 in (50, 100], 100 in (200, 300] ms. p75 (rank 300) is the
 *     top of the (50, 100] bucket: 100 ms. Within 250 ms: 300 + 100 × (250 − 200) / (300 − 200)
 *     = 350 of 400 = 87.5%, under the 95% objective.
 *     Incidents: inc-1 310 of 1200 page views affected, inc-3 40 of 800, inc-2 without beacon
 *     data: 350 of 2000 over 2 incidents, 1 without.
 *   payco: no beacon data; dnsco: its one incident has no beacon data.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/load.ts';
import { renderReport } from '../../agent/report/render.ts';
import { humanDuration } from '../../agent/timeText.ts';
import { downShare, reportPeriod, slaReport } from '../../agent/report/sla.ts';
import { CONFIG, hourLines, journalEvents, rumHourLines } from '../support/slaJournal.ts';

const config = parseConfig(CONFIG, 'sla.yaml', {});
const november = reportPeriod({ month: '2025-11' }, Date.parse('2026-01-10T00:00:00Z'));
const report = slaReport(config, journalEvents(), hourLines(), november, Date.parse('2026-01-10T00:00:00Z'), config.vendors, rumHourLines());
const vendor = (name: string) => report.vendors.find((v) => v.vendor === name)!;

describe('availability from the journal', () => {
  it('weighs downtime by the share of regions down, leaves unknown time out, and finds the breach', () => {
    const acme = vendor('acme-cdn');
    expect(acme.measuredMs).toBe(2_548_800_000);
    expect(acme.unknownMs).toBe(43_200_000);
    expect(acme.downtimeMs).toBe(5_400_000);
    expect(acme.outageMs).toBe(12_600_000);
    expect(acme.availability.percent).toBeCloseTo(100 * (1 - 5400 / 2_548_800), 10);
    expect(acme.availability.met).toBe(false);
    expect(acme.availability.budgetMs).toBeCloseTo(2_548_800, 6);
    expect(acme.availability.budgetLeftMs).toBeCloseTo(-2_851_200, 6);
    expect(acme.availability.budgetLeftPercent).toBeCloseTo(-111.864406779661, 9);
    expect(acme.availability.exhaustedAt).toBeCloseTo(Date.parse('2025-11-10T00:00:00Z') + 2_246_400, 3);
  });

  it('lists the incidents overlapping the period, marking those with downtime as breaching', () => {
    const acme = vendor('acme-cdn');
    expect(acme.incidents.map((i) => [i.id, i.downtimeMs, i.breaching])).toEqual([
      ['inc-1', 1_800_000, true],
      ['inc-2', 3_600_000, true],
      ['inc-3', 0, false],
    ]);
    expect(acme.incidents[0]!.budgetPercent).toBeCloseTo((100 * 1800) / 2548.8, 9);
    expect(acme.incidents[1]!.evidence).toBe('acme-js in eu: failing, 2 of 2 fail: eu-1 ✗ timeout at ttfb, eu-2 ✗ timeout at ttfb');
  });

  it('measures a vendor only from its first state; without an SLA there is no budget and no breach', () => {
    const payco = vendor('payco');
    expect([payco.measuredMs, payco.unknownMs, payco.downtimeMs]).toEqual([1_382_400_000, 1_209_600_000, 0]);
    expect(payco.availability).toMatchObject({ percent: 100, met: true, budgetLeftPercent: 100, exhaustedAt: undefined });
    expect(payco.availability.budgetMs).toBeCloseTo(6_912_000, 6);
    const dnsco = vendor('dnsco');
    expect(dnsco.availability.percent).toBeCloseTo(100 * (1 - 21_600 / 2_592_000), 10);
    expect(dnsco.availability).toMatchObject({ met: undefined, budgetMs: undefined });
    expect(dnsco.incidents.map((i) => [i.id, i.downtimeMs, i.breaching])).toEqual([['inc-4', 21_600_000, false]]);
  });

  it('counts a state from a journal line before the period, and stops at now for a period not over', () => {
    const midMonth = Date.parse('2025-11-10T01:00:00Z');
    const partial = slaReport(config, journalEvents(), hourLines(), november, midMonth, [config.vendors[0]!]);
    expect(partial.measuredUntil).toBe(midMonth);
    const acme = partial.vendors[0]!;
    expect(acme.measuredMs).toBe(midMonth - november.from);
    expect(acme.downtimeMs).toBe(1_800_000 + 1_200_000);
    expect(acme.incidents.map((i) => i.id)).toEqual(['inc-1', 'inc-2']);
  });

  it('reads the down share of a journaled status', () => {
    const events = journalEvents().filter((e) => e.type === 'vendor');
    expect(events.map((e) => (e.type === 'vendor' ? downShare(e.status) : null))).toEqual([0, 0, 1, 0, 1 / 3, 0, 0, undefined, 0, 0, 0, 1, 0]);
  });
});

describe('latency from the hourly counts', () => {
  it('sums the lines of the period’s hours, estimates p95 from buckets and counts slow runs exactly', () => {
    expect(vendor('acme-cdn').runs).toEqual({ total: 102, failed: 2, successPercent: (100 * 100) / 102 });
    expect(vendor('acme-cdn').latency).toEqual({ runs: 100, p95Ms: 343.75, slowRuns: 4, slowPercent: 4, met: true, budgetLeftPercent: 20 });
    expect(vendor('payco').latency).toEqual({
      runs: 0,
      p95Ms: undefined,
      slowRuns: undefined,
      slowPercent: undefined,
      met: undefined,
      budgetLeftPercent: undefined,
    });
  });
});

describe('real users from the RUM rollup and the incidents', () => {
  it('sums the period’s hours: loads that succeeded, p75 resource time, the objectives', () => {
    expect(vendor('acme-cdn').rum).toEqual({
      pageViews: 200,
      loads: 600,
      failedLoads: 6,
      successPercent: 99,
      p75Ms: 100,
      slo: { success_percent: 99.5, resource_time_ms: 250, resource_time_percent: 95, min_page_views: 100 },
      successMet: false,
      withinPercent: 87.5,
      resourceTimeMet: false,
      incidents: { withBeaconData: 2, withoutBeaconData: 1, pageViews: 2000, affected: 350 },
    });
    expect(vendor('acme-cdn').incidents.map((i) => i.realUsers?.affected)).toEqual([310, undefined, 40]);
  });

  it('invents nothing without beacon data', () => {
    expect(vendor('payco').rum).toMatchObject({ pageViews: 0, loads: 0, successPercent: undefined, p75Ms: undefined, slo: null, successMet: undefined });
    expect(vendor('payco').rum.incidents).toEqual({ withBeaconData: 0, withoutBeaconData: 0, pageViews: undefined, affected: undefined });
    expect(vendor('dnsco').rum.incidents).toEqual({ withBeaconData: 0, withoutBeaconData: 1, pageViews: undefined, affected: undefined });
  });

  it('renders the RUM columns: a table beside the summary, a line per vendor, JSON and CSV', () => {
    const md = renderReport(report, 'md', 'journal.jsonl');
    expect(md).toContain(
      [
        '## Real users',
        '',
        '| vendor | page views | resource loads | loads succeeded | p75 resource time | page views affected during incidents |',
        '| --- | --- | --- | --- | --- | --- |',
        '| acme-cdn | 200 | 600 | 99.00% | 100 ms | 350 of 2,000 (2 incidents; 1 without beacon data) |',
        '| payco | – | no beacon data | – | – | no incidents |',
        '| dnsco | – | no beacon data | – | – | no beacon data |',
      ].join('\n'),
    );
    expect(md).toContain('- Real users: 200 page views loaded 600 resources; 6 failed (99.00% succeeded); p75 resource time ≈ 100 ms.');
    expect(md).toContain(
      '- Real-user objectives (rum_slo): ≥ 99.5% of loads succeed — **missed**; ≥ 95% within 250 ms (87.50%, estimated from buckets) — **missed**.',
    );
    expect(md).toContain(
      '- Page views affected during incidents: 350 of 2,000 (2 incidents; 1 without beacon data): ' +
        'inc-1: 310 of 1,200 page views (peak 31% in eu; first seen by real users); inc-2: no beacon data; inc-3: 40 of 800 page views (peak 6% in us; first seen by probes).',
    );
    expect(md).toContain('- Real users: no beacon data for this vendor in the period.');
    expect(md).toContain('- Page views affected during incidents: no beacon data covered inc-4.');

    const json = JSON.parse(renderReport(report, 'json', 'journal.jsonl'));
    expect(json.vendors[0].rum).toMatchObject({ pageViews: 200, resourceLoads: 600, failedLoads: 6, successPercent: 99, p75Seconds: 0.1 });
    expect(json.vendors[0].rum.incidents).toEqual({ withBeaconData: 2, withoutBeaconData: 1, pageViews: 2000, affectedPageViews: 350 });
    expect(json.vendors[0].incidents[1].realUsers).toBeNull();
    expect(json.vendors[1].rum).toMatchObject({ successPercent: null, p75Seconds: null, incidents: { pageViews: null, affectedPageViews: null } });

    const [header, ...rows] = renderReport(report, 'csv', 'journal.jsonl').trim().split('\n');
    const columns = header!.split(',');
    const cell = (row: string, column: string) => row.split(',')[columns.indexOf(column)];
    const acme = rows.find((r) => r.startsWith('vendor,acme-cdn,'))!;
    expect(
      ['rum_page_views', 'rum_resource_loads', 'rum_failed_loads', 'rum_success_percent', 'rum_p75_seconds', 'rum_incident_page_views_affected'].map((c) =>
        cell(acme, c),
      ),
    ).toEqual(['200', '600', '6', '99', '0.1', '350']);
    expect(
      cell(
        rows.find((r) => r.startsWith('vendor,payco,'))!,
        'rum_incident_page_views_affected',
      ),
    ).toBe('');
  });
});

describe('the period', () => {
  const now = Date.parse('2025-11-17T12:00:00Z');
  it('is a UTC month, a from/to range, or the current month', () => {
    expect(reportPeriod({ month: '2025-12' }, now)).toEqual({ from: Date.parse('2025-12-01T00:00:00Z'), to: Date.parse('2026-01-01T00:00:00Z') });
    expect(reportPeriod({ from: '2025-11-01T00:00:00Z', to: '2025-11-08T00:00:00Z' }, now)).toEqual({
      from: Date.parse('2025-11-01T00:00:00Z'),
      to: Date.parse('2025-11-08T00:00:00Z'),
    });
    expect(reportPeriod({ from: '2025-11-10' }, now)).toEqual({ from: Date.parse('2025-11-10T00:00:00Z'), to: now });
    expect(reportPeriod({}, now)).toEqual({ from: Date.parse('2025-11-01T00:00:00Z'), to: Date.parse('2025-12-01T00:00:00Z') });
  });

  it.each([
    [{ month: '2025-13' }, '--month expects YYYY-MM, got "2025-13"'],
    [{ month: '2025-11', from: '2025-11-01' }, 'give either --month or --from/--to, not both'],
    [{ to: '2025-11-01' }, '--to needs --from'],
    [{ from: 'yesterday' }, '--from expects an ISO 8601 time such as 2025-11-01T00:00:00Z, got "yesterday"'],
    [{ from: '2025-11-02', to: '2025-11-01' }, '--to must be after --from'],
  ])('refuses %o', (opts, message) => {
    expect(() => reportPeriod(opts, now)).toThrow(message);
  });
});

describe('rendering', () => {
  it('writes durations people read', () => {
    expect([
      humanDuration(2_548_800),
      humanDuration(-2_851_200),
      humanDuration(5_400_000),
      humanDuration(90 * 86_400_000 + 3_600_000),
      humanDuration(400),
    ]).toEqual(['42m 29s', '-47m 31s', '1h 30m', '90d 1h', '0s']);
  });

  it('says how the numbers are measured in every format', () => {
    for (const format of ['md', 'json', 'csv'] as const) {
      const text = renderReport(report, format, 'journal.jsonl');
      if (format === 'csv') expect(text.split('\n')[0]).toMatch(/^record,vendor,period_from,period_to,/);
      else expect(text).toContain('weighted by the share of regions down');
    }
  });
});
