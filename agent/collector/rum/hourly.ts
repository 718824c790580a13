/**
 * The hourly RUM rollup: per registry vendor and UTC hour of arrival, the page views that loaded
 * the vendor, its resource loads, how many failed, and resource load times in the buckets of
 * vendorwatch_rum_resource_seconds — what `vendorwatch report` needs for the share of successful
 * loads and the p75 resource time, since Prometheus counters are not kept by the collector.
 * Written beside the journal (`journal.jsonl` → `journal.rum-hourly.jsonl`) the way hourly result
 * counts are (hourlyLines.ts): one additive line of about 150 bytes per vendor and hour with beacons,
 * written once the hour is over and on stop, so a restart keeps every finished hour.
 *
 * It also counts vendorwatch_rum_vendor_page_views_total, the traffic guard of the RUM burn-rate
 * rules. Beacons carry no time of their own: a page view counts in the hour it arrived.
 */
import { z } from 'zod';
import type { Beacon } from '../../../config/beacon.ts';
import type { Config } from '../../../config/schema.ts';
import { bucketIndex } from '../../histogram.ts';
import type { Logger } from '../../log.ts';
import { besideJournal, HourlyLines } from '../hourlyLines.ts';
import { readJsonLines } from '../journal.ts';
import { rumBuckets } from './buckets.ts';

const count = z.number().int().nonnegative();

const rumHourLineSchema = z.object({
  vendor: z.string(),
  /** Start of the UTC hour, ms since the epoch. */
  hour: z.number().int(),
  /** Page views that loaded at least one resource of the vendor. */
  pageViews: count,
  /** Resource loads seen (Resource Timing entries), and loads that failed. */
  loads: count,
  failed: count,
  /** Load times of the sampled loads: one count per bound of `rumBuckets` (seconds), then one above the last. */
  durations: z.array(count).length(rumBuckets.length + 1),
});
export type RumHourLine = z.infer<typeof rumHourLineSchema>;

/** `data/journal.jsonl` → `data/journal.rum-hourly.jsonl` */
export function rumHourlyPath(journal: string): string {
  return besideJournal(journal, 'rum-hourly');
}

export class RumHours extends HourlyLines<RumHourLine> {
  private readonly vendors: Set<string>;

  constructor(config: Config, path: string, logger: Logger, now?: () => number) {
    super(path, logger, now);
    this.vendors = new Set(config.vendors.map((v) => v.name));
  }

  /** Counts one accepted beacon. Vendors outside the registry count in the metric as "other" and are not rolled up. */
  add(beacon: Beacon): void {
    const at = this.now();
    for (const [name, r] of Object.entries(beacon.resources)) {
      if (!this.vendors.has(name)) continue;
      const line = this.line(name, at, (hour) => ({ vendor: name, hour, pageViews: 0, loads: 0, failed: 0, durations: rumBuckets.map(() => 0).concat(0) }));
      line.pageViews++;
      line.loads += r.count;
      line.failed += r.failed;
      for (const [, , ms] of r.samples) {
        const bucket = bucketIndex(rumBuckets, ms / 1000);
        line.durations[bucket] = line.durations[bucket]! + 1;
      }
    }
  }
}

/** Every valid line of a RUM rollup file; a missing file has none, bad lines are skipped. */
export function readRumHourLines(path: string, onBadLine: (line: number) => void): RumHourLine[] {
  return readJsonLines(path, rumHourLineSchema, onBadLine);
}
