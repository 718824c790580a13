/**
 * The status page's history: states per hour and latency per hour from the hand-made month of
 * test/support/slaJournal.ts, and the inline SVG drawn from them.
 *
 *   acme-cdn on Nov 3: hard down 10:00–10:30, so the 10:00 hour is hard down, the hours around it operational.
 *   acme-cdn on Nov 20: unknown 00:00–12:00, operational from 12:00.
 *   payco: first state Nov 15 00:00, no data before.
 *   acme-cdn's Nov 5 00:00 hour: 52 runs ≤ 50 ms, 40 ≤ 100 ms, 8 in (250, 500] ms: p50 at rank 50,
 *     50/52 into (25, 50] = 49.04 ms; p95 at rank 95, 3/8 into (250, 500] = 343.75 ms.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/load.ts';
import { historyStrip, latencyChart } from '../../agent/collector/statusCharts.ts';
import { vendorHistories } from '../../agent/collector/statusHistory.ts';
import { reportPeriod, slaReport, stateHours } from '../../agent/report/sla.ts';
import { CONFIG, hourLines, journalEvents } from '../support/slaJournal.ts';

const t = (iso: string) => Date.parse(iso);
const HOUR = 3_600_000;
const config = parseConfig(CONFIG, 'sla.yaml', {});

describe('states per hour from the journal', () => {
  it('takes the worst state of each hour, its state at the start included', () => {
    const hours = stateHours(journalEvents(), 'acme-cdn', t('2025-11-03T08:00:00Z'), t('2025-11-03T12:00:00Z'));
    expect(hours.map((h) => [new Date(h.hour).toISOString(), h.worst])).toEqual([
      ['2025-11-03T08:00:00.000Z', 'operational'],
      ['2025-11-03T09:00:00.000Z', 'operational'],
      ['2025-11-03T10:00:00.000Z', 'hard_down'],
      ['2025-11-03T11:00:00.000Z', 'operational'],
    ]);
  });

  it('says unknown when nothing was known in an hour, and no data before the first state', () => {
    expect(stateHours(journalEvents(), 'acme-cdn', t('2025-11-20T11:00:00Z'), t('2025-11-20T13:00:00Z')).map((h) => h.worst)).toEqual([
      'unknown',
      'operational',
    ]);
    expect(stateHours(journalEvents(), 'payco', t('2025-11-14T22:00:00Z'), t('2025-11-15T00:30:00Z')).map((h) => h.worst)).toEqual([
      undefined,
      undefined,
      'operational',
    ]);
  });
});

describe('a vendor’s history on the status page', () => {
  const now = t('2025-11-05T00:30:00Z');
  const acme = vendorHistories(config, journalEvents(), hourLines(), now).get('acme-cdn')!;

  it('covers the last 24 hours, the current one last', () => {
    expect(acme.states).toHaveLength(24);
    expect(acme.states.at(-1)!.hour).toBe(t('2025-11-05T00:00:00Z'));
    expect(acme.states.every((h) => h.worst === 'operational')).toBe(true);
  });

  it('estimates p50 and p95 per hour from the summed hourly lines', () => {
    const last = acme.latency.at(-1)!;
    expect(last.runs).toBe(100);
    expect(last.p50Ms).toBeCloseTo(25 + (25 * 50) / 52, 6);
    expect(last.p95Ms).toBeCloseTo(343.75, 6);
    expect(acme.latency.slice(0, -1).every((h) => h.p95Ms === undefined)).toBe(true);
  });

  it('measures this month exactly as the SLA report does', () => {
    const report = slaReport(config, journalEvents(), hourLines(), reportPeriod({}, now), now).vendors.find((v) => v.vendor === 'acme-cdn')!;
    expect(acme.month.availability.percent).toBe(report.availability.percent);
    expect(acme.month.availability.percent).toBeCloseTo(100 * (1 - 1_800_000 / (now - t('2025-11-01T00:00:00Z'))), 10);
  });
});

describe('the charts', () => {
  it('draws one bar per hour with its state as tooltip, no data shown as such', () => {
    const svg = historyStrip([
      { hour: t('2025-11-03T09:00:00Z'), worst: undefined },
      { hour: t('2025-11-03T10:00:00Z'), worst: 'hard_down' },
    ]).text;
    expect(svg.match(/<rect /g)).toHaveLength(2);
    expect(svg).toContain('class="nodata"><title>2025-11-03 09:00–10:00 UTC: no data</title>');
    expect(svg).toContain('class="s-hard_down"><title>2025-11-03 10:00–11:00 UTC: hard down</title>');
  });

  it('draws p50 and p95 as lines broken where an hour had no run, with axis labels and the SLA', () => {
    const from = t('2025-11-05T00:00:00Z');
    const point = (i: number, p50: number | undefined, p95: number | undefined) => ({ hour: from + i * HOUR, runs: p50 ? 10 : 0, p50Ms: p50, p95Ms: p95 });
    const svg = latencyChart([point(0, 40, 90), point(1, 45, 120), point(2, undefined, undefined), point(3, 50, 140), point(4, 60, 150)], 300).text;
    expect(svg.match(/<polyline class="p95"/g)).toHaveLength(2);
    expect(svg.match(/<polyline class="p50"/g)).toHaveLength(2);
    // The y axis tops out at a round number above the SLA; the x axis names the first and last hour.
    expect(svg).toContain('>500 ms</text>');
    expect(svg).toContain('>00:00</text>');
    expect(svg).toContain('>04:00 UTC</text>');
    expect(svg).toContain('<title>SLA: p95 ≤ 300 ms</title>');
    expect(svg).toContain('<title>2025-11-05 01:00–02:00 UTC: p50 45 ms, p95 120 ms (10 runs)</title>');
  });

  it('says so when there is no latency to draw', () => {
    expect(latencyChart([{ hour: 0, runs: 0, p50Ms: undefined, p95Ms: undefined }], undefined).text).toContain('no latency to draw');
  });
});
