/**
 * The hourly RUM rollup the collector keeps for `vendorwatch report`: what one beacon adds, the
 * hour lines written once an hour is over and on stop, a restart appending rather than replacing,
 * and the beacon route counting into it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRumHourLines, rumHourlyPath, RumHours } from '../../agent/collector/rum/hourly.ts';
import { rumBuckets } from '../../agent/collector/rum/buckets.ts';
import { beaconRoutes } from '../../agent/collector/rum/routes.ts';
import { beaconRecorder } from '../../agent/collector/rum/aggregate.ts';
import type { Beacon } from '../../config/beacon.ts';
import { createLogger } from '../../agent/log.ts';
import { startServer } from '../../agent/server.ts';
import { configSchema } from '../../config/schema.ts';
import { registry } from '../../agent/metrics.ts';
import { parseExposition, sum } from '../support/exposition.ts';
import { pageView as beacon, vendorLoads as resources } from '../support/beacons.ts';
import { tempDir } from '../support/processes.ts';

const logger = createLogger('silent');
const SITE = 'https://shop.example.com';
const config = configSchema.parse({
  vendors: [{ name: 'edgeco', hosts: ['cdn.example.com'] }, { name: 'payco' }],
  rum: { origins: [SITE] },
});
const HOUR = 3_600_000;
const T0 = Date.UTC(2025, 10, 3, 10, 0, 0);

/** The count of a rumBuckets bound, from a line's durations. */
const inBucket = (durations: number[], bound: number) => durations[rumBuckets.indexOf(bound)];

describe('RumHours', () => {
  it('counts page views, loads, failures and load-time buckets per registry vendor and hour; others only in the metric', async () => {
    const dir = tempDir();
    let now = T0 + 5 * 60_000;
    const hours = new RumHours(config, rumHourlyPath(join(dir, 'journal.jsonl')), logger, () => now);
    // The beacon route hands each beacon to the Prometheus recorder and to the rollup.
    const record = beaconRecorder(config);
    const add = (b: Beacon) => {
      record(b, 'other');
      hours.add(b);
    };
    const before = sum(parseExposition(await registry.metrics()), 'vendorwatch_rum_vendor_page_views_total', { vendor: 'other' });
    add(beacon({ edgeco: resources(3, 1, [40, 90, 2500]), 'unknown-tag': resources(2, 0, [10]) }));
    add(beacon({ edgeco: resources(2, 0, [45, 60_000]), payco: resources(1, 1, []) }));
    now = T0 + HOUR + 1; // the next hour
    add(beacon({ edgeco: resources(1, 0, [5]) }));
    expect(sum(parseExposition(await registry.metrics()), 'vendorwatch_rum_vendor_page_views_total', { vendor: 'other' }) - before).toBe(1);

    hours.flush(); // writes the hour that is over, keeps the current one
    const path = join(dir, 'journal.rum-hourly.jsonl');
    expect(hours.path).toBe(path);
    const written = readRumHourLines(path, () => expect.unreachable());
    expect(written.map((l) => [l.vendor, l.hour, l.pageViews, l.loads, l.failed])).toEqual([
      ['edgeco', T0, 2, 5, 1],
      ['payco', T0, 1, 1, 1],
    ]);
    const edgeco = written[0]!.durations;
    expect([inBucket(edgeco, 0.05), inBucket(edgeco, 0.1), inBucket(edgeco, 3), edgeco[rumBuckets.length]]).toEqual([2, 1, 1, 1]);
    expect(edgeco.reduce((a, b) => a + b, 0)).toBe(5);

    hours.stop(); // the current hour too
    expect(readRumHourLines(path, () => expect.unreachable()).map((l) => [l.vendor, l.hour, l.pageViews])).toEqual([
      ['edgeco', T0, 2],
      ['payco', T0, 1],
      ['edgeco', T0 + HOUR, 1],
    ]);
  });

  it('a restart appends: lines of the same hour from before and after add up, and bad lines are skipped', () => {
    const dir = tempDir();
    const path = rumHourlyPath(join(dir, 'journal.jsonl'));
    for (const loads of [4, 6]) {
      const hours = new RumHours(config, path, logger, () => T0);
      hours.add(beacon({ edgeco: resources(loads, 1, []) }));
      hours.stop();
    }
    const bad: number[] = [];
    const lines = readRumHourLines(path, (n) => bad.push(n));
    expect(lines.map((l) => [l.hour, l.loads, l.failed])).toEqual([
      [T0, 4, 1],
      [T0, 6, 1],
    ]);
    expect(bad).toEqual([]);
    expect(readFileSync(path, 'utf8').split('\n')[0]!.length).toBeLessThan(200);
  });

  it('the beacon route counts every accepted beacon into the rollup', async () => {
    const dir = tempDir();
    const hours = new RumHours(config, rumHourlyPath(join(dir, 'journal.jsonl')), logger);
    const server = await startServer({ listen: '127.0.0.1:0', logger, routes: beaconRoutes(config, logger, { rumHours: hours }) });
    try {
      const post = (b: object) =>
        fetch(`${server.url}/v1/beacon`, { method: 'POST', headers: { origin: SITE, 'content-type': 'text/plain' }, body: JSON.stringify(b) });
      expect((await post(beacon({ edgeco: resources(2, 1, [30, 40]) }))).status).toBe(204);
      expect((await post({ ...beacon({ edgeco: resources(1, 0, []) }), v: 2 })).status).toBe(400);
    } finally {
      await server.close();
    }
    hours.stop();
    expect(readRumHourLines(hours.path, () => expect.unreachable()).map((l) => [l.vendor, l.pageViews, l.loads, l.failed])).toEqual([['edgeco', 1, 2, 1]]);
  });
});
