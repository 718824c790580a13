/**
 * What the collector takes from a push, result by result: times outside the window around its
 * clock are refused, new probe ids beyond collector.max_probes are refused, scoped tokens speak
 * only for their regions and probes, and nothing refused (or for an unknown check) mints a
 * series. Clock skew is measured per probe and flagged with ProbeClockSkew.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { Alert } from '../../agent/collector/alerts/alert.ts';
import { ClockSamples, GAP_MS, WINDOW_MS } from '../../agent/collector/clockSkew.ts';
import { Collector } from '../../agent/collector/collector.ts';
import { HourlyResults } from '../../agent/collector/hourlyResults.ts';
import { Ingest } from '../../agent/collector/ingest.ts';
import { Journal } from '../../agent/collector/journal.ts';
import { registry } from '../../agent/metrics.ts';
import { startServer } from '../../agent/server.ts';
import { parseConfig } from '../../config/load.ts';
import type { CheckResult, ResultOfKind } from '../../config/result.ts';
import { parseExposition, sum } from '../support/exposition.ts';
import { tempDir } from '../support/processes.ts';

type HttpResult = ResultOfKind<'http'>;

const logger = pino({ level: 'silent' });
const HOUR = 3_600_000;

const config = parseConfig(
  `collector:
  token: shared
  max_probes: 3
  tokens:
    - { token: eu-token, regions: [eu] }
    - { token: us-1-token, probes: [us-1] }
consensus: { min_probes: 1 }
vendors: [{ name: acme }]
checks:
  - { name: acme-js, vendor: acme, kind: http, url: "http://acme.test/", interval: 5s, timeout: 1s }
`,
  't.yaml',
  {},
);

function harness() {
  let now = Date.UTC(2030, 0, 1, 12, 30);
  const dir = tempDir();
  const sent: Alert[] = [];
  const hourly = new HourlyResults(join(dir, 'journal.hourly.jsonl'), logger, () => now);
  const collector = new Collector({
    config,
    logger,
    journal: new Journal(join(dir, 'journal.jsonl'), logger),
    hourly,
    receivers: [{ name: 'recorder', resends: false, send: async (alerts) => void sent.push(...alerts) }],
    now: () => now,
  });
  const ingest = new Ingest(collector, { token: 'shared', config: config.collector, logger });
  const result = (extra: Partial<HttpResult> = {}): HttpResult => ({
    id: randomUUID(),
    check: 'acme-js',
    vendor: 'acme',
    kind: 'http',
    role: 'delivery',
    probe: 'eu-1',
    region: 'eu',
    startedAt: now - 100,
    ok: true,
    degraded: false,
    reason: 'ok',
    message: 'ok',
    phases: { total: 0.05 },
    assertions: [],
    details: {},
    ...extra,
  });
  return { collector, ingest, hourly, result, sent, now: () => now, advance: (ms: number) => (now += ms) };
}

const metric = async (name: string, labels: Record<string, string> = {}) => sum(parseExposition(await registry.metrics()), name, labels);
const seriesOf = async (name: string) => parseExposition(await registry.metrics()).filter((s) => s.name === name);

describe('result times', () => {
  it('refuses, per result and with a reason, times far behind or ahead of the collector clock; votes and hourly counts take only accepted ones', async () => {
    const h = harness();
    const epoch = h.result({ startedAt: 0 });
    const future = h.result({ startedAt: Date.UTC(2100, 0, 1) });
    const good = h.result();
    const answer = h.ingest.accept([epoch, good, future], h.now());
    expect(answer).toMatchObject({ accepted: 1, too_old: 1, too_new: 1, duplicate: 0, unknown_check: 0 });
    expect(answer.refused).toEqual([
      { id: epoch.id, reason: 'too_old' },
      { id: future.id, reason: 'too_new' },
    ]);
    // The edges: max_result_age (7d) behind, max_result_ahead (1m) ahead.
    expect(h.ingest.accept([h.result({ startedAt: h.now() - 7 * 24 * HOUR + 1000 }), h.result({ startedAt: h.now() + 50_000 })], h.now()).accepted).toBe(2);
    expect(await metric('vendorwatch_ingest_results_total', { probe: 'eu-1', result: 'too_old' })).toBeGreaterThanOrEqual(1);

    h.hourly.stop();
    const hours = readFileSync(h.hourly.path, 'utf8')
      .trim()
      .split('\n')
      .map((l) => new Date(JSON.parse(l).hour).getUTCFullYear());
    expect(new Set(hours)).toEqual(new Set([2029, 2030]));
    // The probe is alive all the same (its clock may be what is wrong).
    expect(h.collector.probes().map(([id]) => id)).toEqual(['eu-1']);
  });
});

describe('probe identity', () => {
  it(`refuses new probe ids beyond collector.max_probes, counted without a label value per id`, async () => {
    const h = harness();
    const ids = Array.from({ length: 50 }, (_, i) => `minted-${i}`);
    const before = await metric('vendorwatch_ingest_results_total', { result: 'too_many_probes' });
    const answer = h.ingest.accept(
      ids.map((probe) => h.result({ probe })),
      h.now(),
    );
    expect(answer).toMatchObject({ accepted: 3, too_many_probes: 47 });
    expect(answer.refused.every((r) => r.reason === 'too_many_probes')).toBe(true);
    expect(h.collector.probes()).toHaveLength(3);
    expect(await metric('vendorwatch_ingest_results_total', { result: 'too_many_probes' })).toBe(before + 47);
    const labelled = (await seriesOf('vendorwatch_ingest_results_total')).map((s) => s.labels.probe).filter((p) => p?.startsWith('minted-'));
    expect(new Set(labelled)).toEqual(new Set(ids.slice(0, 3)));
    // A known probe still gets through.
    expect(h.ingest.accept([h.result({ probe: 'minted-0' })], h.now()).accepted).toBe(1);
  });

  it('adds no series and no probe for results of checks it does not know', async () => {
    const h = harness();
    const answer = h.ingest.accept(
      Array.from({ length: 20 }, (_, i) => h.result({ probe: `stranger-${i}`, check: 'nope' })),
      h.now(),
    );
    expect(answer).toMatchObject({ unknown_check: 20, refused: [] });
    expect(h.collector.probes()).toEqual([]);
    const series = await seriesOf('vendorwatch_ingest_results_total');
    expect(series.filter((s) => s.labels.probe?.startsWith('stranger-'))).toEqual([]);
  });

  it('lets a scoped token speak only for its regions and probes', async () => {
    const h = harness();
    const scope = (regions: string[], probes: string[] = []) => ({ regions: new Set(regions), probes: new Set(probes) });
    expect(h.ingest.accept([h.result({ probe: 'us-9', region: 'us' })], h.now()).accepted).toBe(1); // the shared token
    const eu = scope(['eu']);
    const answer = h.ingest.accept(
      [h.result({ probe: 'eu-2' }), h.result({ probe: 'us-2', region: 'us' }), h.result({ probe: 'us-9', region: 'eu' })],
      h.now(),
      eu,
    );
    // us-9 is known in us: an eu token cannot move it to eu.
    expect(answer).toMatchObject({ accepted: 1, forbidden: 2 });
    expect(h.collector.probeRegion('us-9')).toBe('us');
    expect(h.ingest.accept([h.result({ probe: 'us-1', region: 'us' }), h.result({ probe: 'us-3', region: 'us' })], h.now(), scope([], ['us-1']))).toMatchObject(
      { accepted: 1, forbidden: 1 },
    );
  });

  it('tells tokens apart over HTTP: the shared one speaks for all, a scoped one for its own', async () => {
    const h = harness();
    const server = await startServer({ listen: '127.0.0.1:0', logger, routes: h.ingest.routes() });
    try {
      const post = async (token: string, results: CheckResult[]) => {
        // This server answers by the real clock.
        const body = JSON.stringify({ results: results.map((r) => ({ ...r, startedAt: Date.now() })) });
        const res = await fetch(`${server.url}/v1/results`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body });
        return [res.status, await res.json()];
      };
      expect(await post('eu-token', [h.result({ probe: 'eu-5' }), h.result({ probe: 'us-5', region: 'us' })])).toEqual([
        200,
        expect.objectContaining({ accepted: 1, forbidden: 1 }),
      ]);
      expect(await post('us-1-token', [h.result({ probe: 'us-1', region: 'us' })])).toEqual([200, expect.objectContaining({ accepted: 1, forbidden: 0 })]);
      expect(await post('shared', [h.result({ probe: 'us-5', region: 'us' })])).toEqual([200, expect.objectContaining({ accepted: 1 })]);
      expect((await post('nobody', [h.result()]))[0]).toBe(401);
    } finally {
      await server.close();
    }
  });
});

describe('clock skew', () => {
  it('is the smallest sample over a whole window: a spooled backlog is not skew, a clock that is off stays off', () => {
    const backlog = new ClockSamples();
    let t = 0;
    // Ten minutes of spooled results delivered in 5 s, then fresh ones every second.
    for (let i = 0; i < 5; i++) backlog.add(600_000 - i * 120_000, (t += 1000));
    expect(backlog.estimate(t)).toBeUndefined();
    while (t < WINDOW_MS + 10_000) backlog.add(400, (t += 1000));
    expect(backlog.estimate(t)).toBe(400);

    const behind = new ClockSamples();
    for (t = 0; t <= WINDOW_MS; t += 1000) behind.add(300_000 + (t % 3000), t);
    expect(behind.estimate(t - 1000)).toBe(300_000);
    const ahead = new ClockSamples();
    for (t = 0; t <= WINDOW_MS; t += 1000) ahead.add(-45_000 + (t % 2000), t);
    expect(ahead.estimate(t - 1000)).toBe(-45_000);
    // After a silence it starts over (a backlog may follow).
    ahead.add(500_000, t + GAP_MS + 1000);
    expect(ahead.estimate(t + GAP_MS + 1000)).toBeUndefined();
  });

  it('flags a probe whose clock is off with ProbeClockSkew (contract labels), shows it, and resolves once it is in sync', async () => {
    const h = harness();
    const push = (behindMs: number) => {
      for (const [probe, skew] of [
        ['eu-1', 0],
        ['eu-2', behindMs],
      ] as const) {
        h.ingest.accept([h.result({ probe, startedAt: h.now() - skew - 200 })], h.now());
      }
      h.collector.evaluate(h.now());
      h.advance(1000);
    };
    for (let i = 0; i < 40; i++) push(300_000);
    expect(h.collector.probes().find(([id]) => id === 'eu-2')![1].clock?.skewMs).toBeUndefined(); // not a whole window yet
    for (let i = 0; i < WINDOW_MS / 1000; i++) push(300_000);
    const [, eu2] = h.collector.probes().find(([id]) => id === 'eu-2')!;
    expect(eu2.clock?.skewMs).toBeGreaterThanOrEqual(300_000);
    expect(eu2.clock?.skewMs).toBeLessThan(301_000);
    expect(await metric('vendorwatch_probe_clock_skew_seconds', { probe: 'eu-2', region: 'eu' })).toBeCloseTo(300.25, 0);
    expect(await metric('vendorwatch_probe_clock_skew_seconds', { probe: 'eu-1', region: 'eu' })).toBeLessThan(1);
    const skewAlerts = h.collector.activeAlerts().filter((a) => a.labels.alertname === 'ProbeClockSkew');
    expect(skewAlerts.map((a) => a.labels)).toEqual([{ alertname: 'ProbeClockSkew', probe: 'eu-2', region: 'eu', severity: 'ticket' }]);
    expect(Object.keys(skewAlerts[0]!.annotations).sort()).toEqual(['description', 'since', 'summary']);
    expect(skewAlerts[0]!.annotations.summary).toMatch(/^Probe eu-2 in eu has a clock 5m behind the collector's/);
    expect(h.collector.probes().find(([id]) => id === 'eu-1')![1].clock?.overSince).toBeUndefined();

    // Its clock fixed: once a whole window of samples is right, the alert resolves.
    for (let i = 0; i <= WINDOW_MS / 1000; i++) push(0);
    expect(h.collector.activeAlerts().filter((a) => a.labels.alertname === 'ProbeClockSkew')).toEqual([]);
    expect(h.sent.filter((a) => a.labels.alertname === 'ProbeClockSkew').map((a) => a.endsAt === undefined)).toEqual([true, false]);
  });

  it('takes the push sentAt as the sample when the probe sends one: a backlog then says nothing wrong', () => {
    const h = harness();
    for (let i = 0; i < WINDOW_MS / 1000 + 5; i++) {
      // Every push carries hour-old results (a backlog that never ends), but the probe's clock is right.
      h.ingest.accept([h.result({ startedAt: h.now() - HOUR })], h.now(), 'all', h.now() - 20);
      h.collector.evaluate(h.now());
      h.advance(1000);
    }
    expect(h.collector.probes()[0]![1].clock?.skewMs).toBe(20);
  });
});
