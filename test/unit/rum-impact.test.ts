/**
 * Real-user impact (agent/collector/rum/impact.ts) and the users_impacted condition it raises in
 * the collector, on a fake clock: page views per vendor and region, their share affected and p75;
 * a handful of page views never raises anything; the condition alone opens a ticket naming the
 * region; probes and users seeing the same outage make one alert that quotes both.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { Alert } from '../../agent/collector/alerts/alert.ts';
import { Collector } from '../../agent/collector/collector.ts';
import { Ingest } from '../../agent/collector/ingest.ts';
import { Journal } from '../../agent/collector/journal.ts';
import { RealUserImpact, usersImpactedRegions } from '../../agent/collector/rum/impact.ts';
import type { Beacon } from '../../config/beacon.ts';
import { parseConfig } from '../../config/load.ts';
import { tempDir } from '../support/processes.ts';
import { FOUR_PROBES, httpRun } from '../support/probes.ts';

const logger = pino({ level: 'silent' });

const configFor = (usersImpacted = '{ window: 5m, min_page_views: 50, share: 0.2, budget: 2s }') =>
  parseConfig(
    `collector: { flapping: { window: 1m, incidents: 3 } }
vendors:
  - { name: edgeco, hosts: [cdn.edgeco.test] }
  - { name: payco, hosts: [js.payco.test] }
checks:
  - { name: edge-home, vendor: edgeco, kind: http, url: "http://edgeco.test/", interval: 5s, timeout: 1s }
  - { name: payco-api, vendor: payco, kind: http, url: "http://payco.test/", interval: 5s, timeout: 1s }
rum:
  origins: ["https://shop.example"]
  regions: { eu: [DE, FR], us: [US], ap: [IN, SG] }
  users_impacted: ${usersImpacted}
`,
    't.yaml',
    {},
  );

/** One page view's beacon: `edgeco` resources, failing or slow as asked. */
function beacon(edgeco: { failed?: boolean; ms?: number } = {}): Beacon {
  const ms = edgeco.ms ?? 80;
  return {
    v: 1,
    nav: randomUUID().replaceAll('-', '').slice(0, 16),
    seq: 0,
    type: 'navigate',
    group: 'other',
    resources: {
      edgeco: {
        count: 2,
        bytes: 100,
        cacheHits: 0,
        failed: edgeco.failed ? 1 : 0,
        noTimingAllowOrigin: 0,
        protocols: { h2: 2 },
        samples: [
          ['css', 'miss', ms],
          ['img', 'miss', 60],
        ],
      },
    },
    lost: 0,
  };
}

describe('RealUserImpact', () => {
  it('counts page views per vendor and region, those with a failed or over-budget resource, the share and the p75, over the window', () => {
    let now = 1_000_000;
    const impact = new RealUserImpact(configFor(), () => now);
    for (let i = 0; i < 6; i++) impact.record(beacon(), 'eu');
    impact.record(beacon({ failed: true }), 'eu');
    impact.record(beacon({ ms: 2500 }), 'eu'); // over the 2 s budget
    impact.record(beacon(), 'other');
    impact.record({ ...beacon(), resources: { 'not-configured': beacon().resources.edgeco! } }, 'eu');
    const eu = impact.of('edgeco')!.regions.find((r) => r.region === 'eu')!;
    expect(eu).toMatchObject({ pageViews: 8, affected: 2, share: 0.25 });
    expect(eu.p75).toBeGreaterThan(0.05);
    expect(eu.p75).toBeLessThanOrEqual(0.1);
    expect(impact.of('edgeco')!.regions.map((r) => r.region)).toEqual(['eu', 'other']);
    expect(impact.of('payco')).toBeUndefined();

    now += 331_000; // the window and the slice it began in
    impact.record(beacon({ failed: true }), 'eu');
    expect(impact.of('edgeco')!.regions).toEqual([{ region: 'eu', pageViews: 1, affected: 1, share: 1, p75: expect.any(Number) }]);
  });

  it('raises users_impacted only with enough page views and a share at or above the threshold', () => {
    const settings = { min_page_views: 50, share: 0.2 };
    const region = (region: string, pageViews: number, affected: number) => ({ region, pageViews, affected, share: affected / pageViews, p75: null });
    expect(usersImpactedRegions([region('eu', 5, 5), region('us', 49, 49)], settings)).toEqual([]);
    expect(usersImpactedRegions([region('eu', 50, 10), region('us', 100, 19), region('ap', 60, 60)], settings)).toEqual(['eu', 'ap']);
  });

  it('keeps a region impacted until its share falls under half the threshold, so a share drifting across it is one incident', () => {
    const settings = { min_page_views: 50, share: 0.2 };
    const region = (region: string, pageViews: number, affected: number) => ({ region, pageViews, affected, share: affected / pageViews, p75: null });
    const holding = new Set(['eu']);
    expect(usersImpactedRegions([region('eu', 70, 13), region('us', 70, 13)], settings, holding)).toEqual(['eu']);
    expect(usersImpactedRegions([region('eu', 70, 7)], settings, holding)).toEqual(['eu']);
    expect(usersImpactedRegions([region('eu', 70, 6)], settings, holding)).toEqual([]);
  });

  it('tells an incident the page views since it last asked, per region from when it first asked', () => {
    const impact = new RealUserImpact(configFor());
    for (let i = 0; i < 3; i++) impact.record(beacon({ failed: true }), 'eu');
    expect(impact.takeNew('i1', 'edgeco', ['eu'])).toEqual({ pageViews: 0, affected: 0 });
    impact.record(beacon({ failed: true }), 'eu');
    impact.record(beacon(), 'eu');
    impact.record(beacon(), 'us');
    expect(impact.takeNew('i1', 'edgeco', ['eu', 'us'])).toEqual({ pageViews: 2, affected: 1 });
    impact.record(beacon(), 'us');
    expect(impact.takeNew('i1', 'edgeco', ['eu', 'us'])).toEqual({ pageViews: 1, affected: 0 });
  });
});

/** A collector on a fake clock with its RealUserImpact, fed beacons as the routes would. */
function harness(config = configFor()) {
  let now = 1_000_000;
  const sent: Alert[][] = [];
  const realUsers = new RealUserImpact(config, () => now);
  const collector = new Collector({
    config,
    logger,
    journal: new Journal(join(tempDir(), 'journal.jsonl'), logger),
    receivers: [{ name: 'recorder', resends: false, send: async (alerts) => void sent.push([...alerts]) }],
    realUsers,
    now: () => now,
  });
  const ingest = new Ingest(collector, { token: 't', config: config.collector, logger });
  /** One probe round (every probe of eu and us; `edgecoFails` says where edge-home fails), then an evaluation. */
  const round = (edgecoFails: (region: string) => boolean = () => false) => {
    now += 5000;
    const results = FOUR_PROBES.flatMap(([probe, region]) =>
      config.checks.map((check) => httpRun(check, probe, region, now - 100, check.vendor === 'edgeco' && edgecoFails(region))),
    );
    ingest.accept(results, now);
    collector.evaluate(now);
  };
  const visits = (region: string, pageViews: number, failing: number) => {
    for (let i = 0; i < pageViews; i++) realUsers.record(beacon({ failed: i < failing }), region);
  };
  const status = (vendor: string) => collector.vendorStatuses().find((v) => v.vendor.name === vendor)!.status!;
  /** Every alert notification (firing or resolved) receivers got, by identity. */
  const notifications = () => sent.flat().map((a) => `${a.labels.alertname}/${a.labels.severity} ${a.endsAt === undefined ? 'firing' : 'resolved'}`);
  const firing = () => collector.activeAlerts();
  return { collector, round, visits, status, notifications, firing, advance: (ms: number) => (now += ms) };
}

const flush = () => new Promise((r) => setImmediate(r));

describe('collector: users_impacted', () => {
  it('never raises anything on a handful of page views, however many of them fail', async () => {
    const h = harness();
    h.round();
    h.round();
    h.visits('eu', 49, 49); // one short of min_page_views, every one failing
    h.round();
    h.round();
    await flush();
    expect(h.status('edgeco').state).toBe('operational');
    expect(h.status('edgeco').realUsers?.regions).toEqual([{ region: 'eu', pageViews: 49, affected: 49, share: 1, p75: expect.any(Number) }]);
    expect(h.notifications()).toEqual([]);
    expect(h.collector.incidents()).toEqual([]);
  });

  it('opens a ticket of its own when real users in one region fail and no probe sees it, and counts the incident\u2019s page views', async () => {
    const h = harness();
    h.round();
    h.visits('eu', 60, 20);
    h.visits('us', 80, 2);
    h.round();
    h.round();
    await flush();
    const status = h.status('edgeco');
    expect(status.state).toBe('users_impacted');
    expect(status.conditions.map((c) => [c.state, c.regions])).toEqual([['users_impacted', ['eu']]]);
    expect(Object.fromEntries(Object.entries(status.regions).map(([r, cs]) => [r, cs.map((c) => c.state)]))).toEqual({
      eu: ['users_impacted'],
      us: ['operational'],
    });
    expect(h.notifications()).toEqual(['VendorImpaired/ticket firing']);
    const alert = h.firing()[0]!;
    expect(alert.labels).toEqual({ alertname: 'VendorImpaired', vendor: 'edgeco', severity: 'ticket' });
    expect(alert.annotations.summary).toMatch(
      /^edgeco is FAILING REAL USERS in eu: 33% of 60 page views in eu had an edgeco resource fail or take over 2s in the last 5m\. Probes see nothing wrong there \(2 of 2 votes pass\), since .* UTC\.$/,
    );
    expect(alert.annotations).toMatchObject({
      state: 'users_impacted',
      regions: 'eu',
      real_users: 'real users: 33% of 60 page views in eu had an edgeco resource fail or take over 2s in the last 5m',
      sources: 'only real users see it; the probes do not',
      first_seen_by: 'real_users',
    });
    expect(alert.annotations.description).toContain(
      'Real users: 33% of 60 page views in eu had an edgeco resource fail or take over 2s in the last 5m; only real users see it',
    );

    // More visitors while it is open: the incident counts them, in its regions only.
    h.visits('eu', 10, 5);
    h.visits('us', 10, 0);
    h.round();
    expect(h.collector.incidents()[0]!.realUsers).toEqual({ pageViews: 10, affected: 5, peakShare: 25 / 70, peakRegion: 'eu', firstSeenBy: 'real_users' });

    // The window passes without failures: operational, the ticket resolves saying what happened.
    h.advance(331_000);
    h.visits('eu', 60, 0);
    h.round();
    await flush();
    expect(h.status('edgeco').state).toBe('operational');
    expect(h.notifications()).toEqual(['VendorImpaired/ticket firing', 'VendorImpaired/ticket resolved']);
    expect(h.collector.incidents()[0]).toMatchObject({ worst: 'users_impacted', regions: ['eu'], realUsers: { pageViews: 70, affected: 5 } });
  });

  it('holds in a region without probes', () => {
    const h = harness();
    h.round();
    h.visits('ap', 50, 50);
    h.round();
    expect(h.status('edgeco').conditions.map((c) => [c.state, c.regions])).toEqual([['users_impacted', ['ap']]]);
    expect(h.status('edgeco').regions.ap!.map((c) => c.state)).toEqual(['users_impacted']);
  });

  it('pages instead when configured so', async () => {
    const h = harness(configFor('{ window: 5m, min_page_views: 50, share: 0.2, severity: page }'));
    h.round();
    h.visits('eu', 50, 50);
    h.round();
    await flush();
    expect(h.notifications()).toEqual(['VendorOutage/page firing']);
  });

  it('makes one alert quoting both when probes and real users see the same outage at once', async () => {
    const h = harness();
    h.round();
    h.visits('eu', 100, 90);
    h.round((r) => r === 'eu');
    h.round((r) => r === 'eu');
    await flush();
    expect(h.status('edgeco').conditions.map((c) => c.state)).toEqual(['regional_outage', 'users_impacted']);
    expect(h.notifications()).toEqual(['VendorOutage/page firing']);
    const alert = h.firing()[0]!;
    expect(alert.annotations).toMatchObject({
      state: 'regional_outage',
      real_users: 'real users: 90% of 100 page views in eu had an edgeco resource fail or take over 2s in the last 5m',
      sources: 'probes and real users agree',
      first_seen_by: 'both',
    });
    expect(alert.annotations.summary).toMatch(/^edgeco has a REGIONAL OUTAGE in eu/);
  });
});
