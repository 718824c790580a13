import { randomUUID } from 'node:crypto';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/load.ts';
import type { CheckResult } from '../../config/result.ts';
import type { Alert } from '../../agent/collector/alerts/alert.ts';
import type { Receiver } from '../../agent/collector/alerts/receiver.ts';
import { Collector } from '../../agent/collector/collector.ts';
import { Ingest } from '../../agent/collector/ingest.ts';
import { Journal } from '../../agent/collector/journal.ts';
import { registry } from '../../agent/metrics.ts';
import { tempDir } from '../support/processes.ts';
import { FOUR_PROBES, httpRun } from '../support/probes.ts';

const logger = pino({ level: 'silent' });
const PROBES = FOUR_PROBES;

const parse = (yaml: string) => parseConfig(yaml, 't.yaml', {});
const defaultConfig = parseConfig(
  `consensus: { min_probes: 2 }
collector: { probe_down_after: 20s, flapping: { window: 1m, incidents: 3 } }
vendors:
  - { name: acme, runbook: "https://wiki.example.com/acme" }
  - { name: payco }
checks:
  - { name: acme-js, vendor: acme, kind: http, url: "http://acme.test/", interval: 5s, timeout: 1s }
  - { name: payco-api, vendor: payco, kind: http, url: "http://payco.test/", interval: 5s, timeout: 1s }
`,
  't.yaml',
  {},
);

/** Receives alert changes as Alertmanager would, in memory. */
function recorder(): Receiver & { sent: Alert[][] } {
  const sent: Alert[][] = [];
  return { name: 'recorder', resends: false, sent, send: async (alerts) => void sent.push([...alerts]) };
}

/** A collector on a fake clock; `round` pushes one result per probe and check, then evaluates. */
function harness(journalPath = join(tempDir(), 'journal.jsonl'), start = 1_000_000, config = defaultConfig) {
  let now = start;
  const receiver = recorder();
  const collector = new Collector({ config, logger, journal: new Journal(journalPath, logger), receivers: [receiver], now: () => now });
  const ingest = new Ingest(collector, { token: 't', config: config.collector, logger });
  /** `fails` says, per probe and check, whether the run fails (true), is slow ('slow') or passes. */
  const round = (fails: (probe: string, check: string) => boolean | 'slow', step = 5000, silent: readonly string[] = []) => {
    now += step;
    const results: CheckResult[] = [];
    for (const [probe, region] of PROBES.filter(([p]) => !silent.includes(p))) {
      for (const check of config.checks) results.push(httpRun(check, probe, region, now - 100, fails(probe, check.name)));
    }
    ingest.accept(results, now);
    collector.evaluate(now);
  };
  const state = (vendor: string) => collector.vendorStatuses().find((v) => v.vendor.name === vendor)!.status!;
  const sent = () => receiver.sent.flat().map((a) => `${a.labels.alertname} ${a.endsAt === undefined ? 'firing' : 'resolved'}`);
  const fired = (name: string) => receiver.sent.flat().filter((a) => a.labels.alertname === name && a.endsAt === undefined);
  const resolved = (name: string) => receiver.sent.flat().filter((a) => a.labels.alertname === name && a.endsAt !== undefined);
  return { collector, ingest, receiver, round, state, sent, fired, resolved, journalPath, advance: (ms: number) => (now += ms), now: () => now };
}

const none = () => false;

const flush = () => new Promise((r) => setImmediate(r));

describe('collector: consensus to alerts', () => {
  it('fires one VendorOutage with readable annotations, holds it through unknown, resolves it saying what happened', async () => {
    const h = harness();
    h.round(none, 20_000);
    expect(h.state('acme').state).toBe('operational');
    h.round((_p, c) => c === 'acme-js');
    expect(h.state('acme')).toMatchObject({ state: 'hard_down', conditions: [{ state: 'hard_down', regions: ['eu', 'us'] }] });
    h.round((_p, c) => c === 'acme-js');
    await flush();
    expect(h.fired('VendorOutage')).toHaveLength(1);
    const alert = h.fired('VendorOutage')[0]!;
    expect(alert.labels).toEqual({ alertname: 'VendorOutage', vendor: 'acme', severity: 'page' });
    expect(alert.annotations.summary).toMatch(
      /^acme is HARD DOWN: delivery fails in 2 of 2 regions \(eu, us\)\. 4 of 4 probes fail acme-js in the response \(http_status\): "HTTP 503, expected 200-399", since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\.$/,
    );
    expect(alert.annotations.votes).toBe(
      'acme-js in eu: failing, 2 of 2 fail: eu-1 ✗ http_status, eu-2 ✗ http_status\nacme-js in us: failing, 2 of 2 fail: us-1 ✗ http_status, us-2 ✗ http_status',
    );
    expect(alert.annotations).toMatchObject({
      state: 'hard_down',
      regions: 'eu, us',
      worst_state: 'hard_down',
      regions_affected: 'eu, us',
      runbook_url: 'https://wiki.example.com/acme',
      phase: 'response',
      reason: 'http_status',
    });

    // Every probe goes quiet: votes expire and the state becomes unknown, but that is no recovery.
    h.advance(16_000);
    h.collector.evaluate(h.now());
    expect(h.state('acme').state).toBe('unknown');
    expect(h.collector.activeAlerts().map((a) => a.labels.alertname)).toEqual(['VendorOutage']);

    h.round(none);
    await flush();
    expect(h.state('acme').state).toBe('operational');
    expect(h.sent()).toEqual(['VendorOutage firing', 'VendorOutage resolved']);
    expect(h.resolved('VendorOutage')[0]!.annotations.summary).toMatch(/^Resolved: acme was hard down in eu, us for 26s \(incident .+\)\.$/);
    const [incident] = h.collector.incidents();
    expect(incident).toMatchObject({ vendor: 'acme', worst: 'hard_down', regions: ['eu', 'us'], flapped: false });
    expect(incident!.end).not.toBeNull();
  });

  it('keeps one alert identity while an outage spreads from one region to all, and while it recovers region by region', async () => {
    const h = harness();
    h.round(none, 20_000);
    h.round((p, c) => c === 'acme-js' && p.startsWith('us'));
    expect(h.state('acme').lastKnown).toMatchObject({ state: 'regional_outage', regions: ['us'] });
    expect(h.collector.activeAlerts()[0]!.annotations).toMatchObject({ state: 'regional_outage', regions: 'us' });
    expect(h.collector.activeAlerts()[0]!.annotations.summary).toContain('acme has a REGIONAL OUTAGE in us: delivery fails there but works in eu.');
    h.round((_p, c) => c === 'acme-js');
    expect(h.collector.activeAlerts()[0]!.annotations).toMatchObject({ state: 'hard_down', regions: 'eu, us' });
    // us recovers first: hard_down eases to a regional outage in eu; the same alert stays.
    h.round((p, c) => c === 'acme-js' && p.startsWith('eu'));
    expect(h.state('acme').lastKnown).toMatchObject({ state: 'regional_outage', regions: ['eu'] });
    expect(h.collector.activeAlerts()[0]!.annotations).toMatchObject({ state: 'regional_outage', regions: 'eu', worst_state: 'hard_down' });
    h.round(none);
    await flush();
    expect(h.sent()).toEqual(['VendorOutage firing', 'VendorOutage resolved']);
  });

  it('raises one alert per severity an incident reaches: degraded then hard down is a ticket and a page', async () => {
    const h = harness();
    h.round(none, 20_000);
    h.round((_p, c) => (c === 'acme-js' ? 'slow' : false));
    expect(h.collector.activeAlerts().map((a) => a.labels)).toEqual([{ alertname: 'VendorImpaired', vendor: 'acme', severity: 'ticket' }]);
    h.round((_p, c) => c === 'acme-js');
    h.round((_p, c) => (c === 'acme-js' ? 'slow' : false));
    h.round(none);
    await flush();
    expect(h.sent().slice(0, 2)).toEqual(['VendorImpaired firing', 'VendorOutage firing']);
    expect(h.sent().slice(2).sort()).toEqual(['VendorImpaired resolved', 'VendorOutage resolved']);
    expect(h.collector.incidents()).toHaveLength(1);
  });

  it('keeps the page and raises no ticket when hard down eases to degraded', async () => {
    const h = harness();
    h.round(none, 20_000);
    h.round((_p, c) => c === 'acme-js');
    h.round((_p, c) => (c === 'acme-js' ? 'slow' : false));
    expect(h.state('acme').lastKnown.state).toBe('degraded');
    expect(h.collector.activeAlerts()[0]!.annotations.summary).toMatch(/^acme is DEGRADED in eu, us/);
    h.round(none);
    await flush();
    expect(h.sent()).toEqual(['VendorOutage firing', 'VendorOutage resolved']);
  });

  it('waits for a second failing run before a one-probe region (min_probes: 1) can page', async () => {
    const thin = parse(`consensus: { min_probes: 1 }
vendors: [{ name: acme }]
checks: [{ name: acme-js, vendor: acme, kind: http, url: "http://acme.test/", interval: 5s, timeout: 1s }]
`);
    const h = harness(undefined, undefined, thin);
    h.round(none, 20_000);
    // One run of one probe times out, the next passes: no verdict change, no incident, no alert.
    h.round((p) => p === 'us-1');
    expect(h.state('acme').state).toBe('operational');
    h.round(none);
    // Two runs in a row fail: then it counts.
    h.round((p) => p === 'us-1');
    expect(h.state('acme').state).toBe('operational');
    h.round((p) => p === 'us-1');
    await flush();
    expect(h.state('acme').state).toBe('operational');
    // us-1 is one of two probes in us: 1 of 2 is no majority. With both failing, no confirmation is needed.
    h.round((p) => p.startsWith('us'));
    expect(h.state('acme').lastKnown).toMatchObject({ state: 'regional_outage', regions: ['us'] });
    h.round(none);
    await flush();
    expect(h.sent()).toEqual(['VendorOutage firing', 'VendorOutage resolved']);
  });

  it("exposes the last evaluation's votes per check and region when scraped", async () => {
    const h = harness();
    h.round(none, 20_000);
    for (let i = 0; i < 3; i++) h.round((p) => p === 'eu-1');
    const exposition = await registry.metrics();
    const votes = (region: string, vote: string, n: number) =>
      `vendorwatch_consensus_votes{vendor="acme",check="acme-js",region="${region}",vote="${vote}"} ${n}\n`;
    for (const line of [votes('eu', 'ok', 1), votes('eu', 'failing', 0), votes('eu', 'excluded', 1), votes('us', 'ok', 2), votes('us', 'degraded', 0)]) {
      expect(exposition).toContain(line);
    }
  });

  it('excludes an unhealthy probe: it gets a probe alert and no vendor is blamed', () => {
    const h = harness();
    h.round(none, 20_000);
    // eu-1 fails everything. In eu that is 1 of 2 (a tie, no verdict change), and across vendors it disagrees with every peer.
    for (let i = 0; i < 3; i++) h.round((p) => p === 'eu-1');
    expect(h.collector.probes().find(([id]) => id === 'eu-1')![1]).toMatchObject({ health: 'unhealthy', disagrees: { vendors: ['acme', 'payco'] } });
    expect(h.state('acme').state).toBe('operational');
    expect(h.state('payco').state).toBe('operational');
    const eu = h.state('acme').evidence.find((e) => e.region === 'eu')!;
    expect(eu).toMatchObject({ excluded: ['eu-1'], voters: 1, outage: 'unknown' });
    expect(h.collector.activeAlerts().map((a) => a.labels)).toEqual([{ alertname: 'ProbeUnhealthy', probe: 'eu-1', region: 'eu', severity: 'ticket' }]);
    // When eu-2 fails too, the eu outage is real: eu-1 no longer disagrees with everyone and votes again.
    h.round((p, c) => c === 'acme-js' && p.startsWith('eu'));
    h.round((p, c) => c === 'acme-js' && p.startsWith('eu'));
    expect(h.state('acme').conditions[0]).toMatchObject({ state: 'regional_outage', regions: ['eu'] });
  });

  it('raises one ProbeUnhealthy alert for a probe that is bad every other run, resolved once it has been healthy for the flapping window', async () => {
    const h = harness();
    h.round(none, 20_000);
    // Windows are 15 s (3 × 5 s): eu-1's failing vote lasts three rounds; two quiet windows let it pass again.
    for (let i = 0; i < 6; i++) {
      h.round((p) => p === 'eu-1');
      for (let k = 0; k < 4; k++) h.round(none);
    }
    await flush();
    const health = h.collector.probes().find(([id]) => id === 'eu-1')![1];
    expect(health.health).toBe('up');
    expect(h.fired('ProbeUnhealthy')).toHaveLength(1);
    expect(h.resolved('ProbeUnhealthy')).toHaveLength(0);
    expect(h.collector.activeAlerts()[0]!.annotations.summary).toContain('it fails checks of 2 vendors (acme, payco)');
    // A whole window (1 m) without being unhealthy resolves it.
    for (let i = 0; i < 13; i++) h.round(none);
    await flush();
    expect(h.resolved('ProbeUnhealthy')).toHaveLength(1);
    expect(h.fired('ProbeUnhealthy')).toHaveLength(1);
  });

  it('counts incidents for flapping: the third within the window raises one VendorFlapping instead of its own page', async () => {
    const h = harness();
    h.round(none, 20_000);
    // One incident every other round (10 s): six within a minute.
    for (let i = 0; i < 12; i++) h.round(i % 2 === 0 ? (_p, c) => c === 'payco-api' : none);
    await flush();
    expect(h.state('payco').flapping).not.toBeNull();
    expect(h.fired('VendorFlapping')).toHaveLength(1);
    expect(h.fired('VendorOutage')).toHaveLength(2);
    const flap = h.fired('VendorFlapping')[0]!;
    expect(flap.labels).toEqual({ alertname: 'VendorFlapping', vendor: 'payco', severity: 'page' });
    expect(flap.annotations.summary).toMatch(/^payco is FLAPPING: 3 separate incidents since .+ UTC, at \d\d:\d\d \(hard down\), /);
    expect(
      h.collector
        .incidents()
        .filter((i) => i.vendor === 'payco')
        .map((i) => i.flapped),
    ).toEqual([true, true, true, true, false, false]);
    // Stable for a whole window: flapping ends and, the vendor being fine, nothing replaces it.
    for (let i = 0; i < 14; i++) h.round(none);
    await flush();
    expect(h.state('payco').flapping).toBeNull();
    expect(h.collector.activeAlerts()).toEqual([]);
    expect(h.sent().filter((a) => a.startsWith('VendorFlapping'))).toEqual(['VendorFlapping firing', 'VendorFlapping resolved']);
    expect(h.resolved('VendorFlapping')[0]!.annotations.summary).toMatch(
      /^Resolved: payco stopped flapping after .+: 6 incidents, at worst hard down in eu, us\.$/,
    );
  });

  it('a flapping ticket that meets an outage adds the flapping page; both resolve when flapping ends', async () => {
    const h = harness();
    h.round(none, 20_000);
    for (let i = 0; i < 6; i++) h.round(i % 2 === 0 ? (_p, c) => (c === 'payco-api' ? 'slow' : false) : none);
    expect(h.collector.activeAlerts().map((a) => a.labels)).toEqual([{ alertname: 'VendorFlapping', vendor: 'payco', severity: 'ticket' }]);
    h.round((_p, c) => c === 'payco-api');
    expect(
      h.collector
        .activeAlerts()
        .map((a) => a.labels.severity)
        .sort(),
    ).toEqual(['page', 'ticket']);
    for (let i = 0; i < 14; i++) h.round(none);
    await flush();
    expect(h.sent()).toEqual([
      'VendorImpaired firing',
      'VendorImpaired resolved',
      'VendorImpaired firing',
      'VendorImpaired resolved',
      'VendorFlapping firing',
      'VendorFlapping firing',
      'VendorFlapping resolved',
      'VendorFlapping resolved',
    ]);
  });

  it('one incident, however much it spreads and eases, never makes a vendor flap', async () => {
    const h = harness();
    h.round(none, 20_000);
    for (const fails of [
      (p: string) => p.startsWith('us'),
      () => true,
      (p: string) => p.startsWith('eu'),
      (p: string) => p === 'us-1' || p === 'us-2',
      () => true,
    ]) {
      h.round((p, c) => c === 'acme-js' && fails(p));
    }
    h.round(none);
    await flush();
    expect(h.state('acme').flapping).toBeNull();
    expect(h.sent()).toEqual(['VendorOutage firing', 'VendorOutage resolved']);
  });

  it('after a restart keeps its alerts without re-firing them, and keeps its incidents', async () => {
    const h = harness();
    h.round(none, 20_000);
    h.round((_p, c) => c === 'acme-js');
    await flush();
    expect(h.fired('VendorOutage')).toHaveLength(1);
    const before = h.collector.activeAlerts();
    await h.collector.stop();

    const again = harness(h.journalPath, h.now() + 30_000);
    expect(again.collector.activeAlerts()).toEqual(before);
    expect(again.state('acme')).toMatchObject({ state: 'hard_down' });
    // Votes come back: nothing fires anew during the warm-up window or after.
    again.round((_p, c) => c === 'acme-js', 1000);
    again.round((_p, c) => c === 'acme-js', 20_000);
    again.round((_p, c) => c === 'acme-js');
    await flush();
    expect(again.receiver.sent).toEqual([]);
    expect(again.collector.activeAlerts().map((a) => a.startsAt)).toEqual(before.map((a) => a.startsAt));
    again.round(none);
    await flush();
    expect(again.resolved('VendorOutage')).toHaveLength(1);
    expect(again.collector.incidents()).toHaveLength(1);
    expect(again.collector.incidents()[0]!.end).not.toBeNull();
  });

  it('marks a silent probe down and restores it as down (no resolve and re-fire)', async () => {
    const h = harness();
    h.round(none, 20_000);
    for (let i = 0; i < 6; i++) h.round(none, 5000, ['us-2']);
    expect(h.collector.activeAlerts().map((a) => a.labels)).toEqual([{ alertname: 'ProbeDown', probe: 'us-2', region: 'us', severity: 'ticket' }]);
    // us has one probe left voting, fewer than min_probes: acme is judged on eu alone.
    expect(h.state('acme').regions).toMatchObject({ us: [{ state: 'unknown' }], eu: [{ state: 'operational' }] });
    await h.collector.stop();
    const again = harness(h.journalPath, h.now() + 1000);
    for (let i = 0; i < 8; i++) again.round(none, 5000, ['us-2']);
    expect(again.collector.activeAlerts().map((a) => a.labels.probe)).toEqual(['us-2']);
    await flush();
    expect(again.receiver.sent).toEqual([]);
  });

  it('journals every change as JSON lines and skips a torn line on restore', () => {
    const h = harness();
    h.round(none, 20_000);
    h.round((_p, c) => c === 'acme-js');
    const types = readFileSync(h.journalPath, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).type);
    expect(new Set(types)).toEqual(new Set(['probe', 'verdict', 'vendor', 'incident', 'alert']));
    appendFileSync(h.journalPath, '{"type":"vendor","at":12');
    const again = harness(h.journalPath, h.now());
    expect(again.state('acme').state).toBe('hard_down');
  });

  it("writes an evaluation's journal lines together, when it ends, in order", () => {
    const path = join(tempDir(), 'journal.jsonl');
    const journal = new Journal(path, logger);
    const probe = (p: string, at: number) => ({ type: 'probe', at, probe: p, region: 'eu', health: 'up' }) as const;
    journal.append(probe('a', 1));
    journal.batch(() => {
      journal.append(probe('b', 2));
      journal.batch(() => journal.append(probe('c', 3)));
      expect(readFileSync(path, 'utf8').trim().split('\n')).toHaveLength(1);
    });
    expect(journal.read().map((e) => e.type === 'probe' && e.probe)).toEqual(['a', 'b', 'c']);
    journal.close();
  });

  it('counts and drops results for checks it does not know, and duplicates', () => {
    const h = harness();
    const r: CheckResult = {
      id: randomUUID(),
      check: 'nope',
      vendor: 'acme',
      kind: 'http',
      role: 'delivery',
      probe: 'eu-1',
      region: 'eu',
      startedAt: Date.now(),
      ok: true,
      degraded: false,
      reason: 'ok',
      message: 'ok',
      phases: {},
      assertions: [],
      details: {},
    };
    const known = { ...r, id: randomUUID(), check: 'acme-js' };
    const wrongVendor = { ...r, id: randomUUID(), check: 'acme-js', vendor: 'payco' };
    expect(h.ingest.accept([r, known, known, wrongVendor])).toMatchObject({ accepted: 1, duplicate: 1, unknown_check: 2, refused: [] });
  });
});

describe('collector: warm-up per vendor', () => {
  it('judges a vendor once its own checks have run (their longest interval and a push interval), while a slower vendor still gathers votes', () => {
    const config = parse(`consensus: { min_probes: 2 }
vendors: [{ name: quick }, { name: slow }]
checks:
  - { name: quick-js, vendor: quick, kind: http, url: "http://quick.test/", interval: 1s, timeout: 500ms }
  - { name: slow-js, vendor: slow, kind: http, url: "http://slow.test/", interval: 30s, timeout: 1s }
`);
    const h = harness(undefined, 1_000_000, config);
    const status = (vendor: string) => h.collector.vendorStatuses().find((v) => v.vendor.name === vendor)!.status;
    h.round(none, 1000);
    expect(status('quick')).toBeUndefined();
    for (let i = 0; i < 3; i++) h.round(none, 1000);
    expect(status('quick')?.state).toBe('operational');
    expect(status('slow')).toBeUndefined();
    expect(h.now()).toBeLessThan(h.collector.readyAt);
    // 30 s + 1 s after the start, every probe has run the slow check once.
    h.round(none, 30_000);
    expect(status('slow')?.state).toBe('operational');
  });
});
