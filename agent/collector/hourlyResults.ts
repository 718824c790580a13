/**
 * Hourly per-vendor counts of delivery check results: the latency and run evidence SLA reports
 * need, since the journal keeps state changes, never results. Counted in memory per (vendor, UTC
 * hour of the result's start) and appended to a JSON-lines file beside the journal
 * (`journal.jsonl` → `journal.hourly.jsonl`) once the hour is over, and on stop.
 *
 * Lines are additive: a result arriving late (from a probe's spool) for an hour already written
 * goes out in a later line for the same hour, and readers sum them. So the file grows by about
 * one line per vendor per hour (~250 bytes), a few MB a year for a dozen vendors. A crash loses
 * at most the current hour's counts; the journal, and so availability, is not affected.
 */
import { z } from 'zod';
import type { CheckResult } from '../../config/result.ts';
import type { Vendor } from '../../config/schema.ts';
import { bucketIndex } from '../histogram.ts';
import { phaseBuckets } from '../metrics.ts';
import { besideJournal, HourlyLines } from './hourlyLines.ts';
import { readJsonLines } from './journal.ts';

const count = z.number().int().nonnegative();

const hourLineSchema = z.object({
  vendor: z.string(),
  /** Start of the UTC hour, ms since the epoch. */
  hour: z.number().int(),
  /** Delivery check runs, and how many failed. */
  runs: count,
  failures: count,
  /** Successful runs by total time: one count per bound of `phaseBuckets` (seconds), then one above the last. */
  latency: z.array(count).length(phaseBuckets.length + 1),
  /** Successful runs slower than the vendor's sla.latency_p95_ms when they arrived (exact, not from buckets). */
  slow: count,
});
export type HourLine = z.infer<typeof hourLineSchema>;

/** `data/journal.jsonl` → `data/journal.hourly.jsonl` */
export function hourlyPath(journal: string): string {
  return besideJournal(journal, 'hourly');
}

export class HourlyResults extends HourlyLines<HourLine> {
  /** Counts one delivery check result of `vendor` (the caller decides the role from its config). */
  add(r: CheckResult, vendor: Vendor): void {
    const line = this.line(r.vendor, r.startedAt, (hour) => ({
      vendor: r.vendor,
      hour,
      runs: 0,
      failures: 0,
      latency: phaseBuckets.map(() => 0).concat(0),
      slow: 0,
    }));
    line.runs++;
    if (!r.ok) {
      line.failures++;
      return;
    }
    const total = r.phases.total;
    if (total === undefined) return;
    const bucket = bucketIndex(phaseBuckets, total);
    line.latency[bucket] = line.latency[bucket]! + 1;
    const limitMs = vendor.sla?.latency_p95_ms;
    if (limitMs !== undefined && total > limitMs / 1000) line.slow++;
  }

  /** The counts not yet written (the current hour's, and any the last write failed to append), as copies. */
  unwritten(): HourLine[] {
    return [...this.open.values()].map((l) => ({ ...l, latency: [...l.latency] }));
  }
}

/** Every valid line of an hourly results file; a missing file has none, bad lines are skipped. */
export function readHourLines(path: string, onBadLine: (line: number) => void): HourLine[] {
  return readJsonLines(path, hourLineSchema, onBadLine);
}
