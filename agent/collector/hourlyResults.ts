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
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import type { CheckResult } from '../../config/result.ts';
import type { Vendor } from '../../config/schema.ts';
import type { Logger } from '../log.ts';
import { phaseBuckets } from '../metrics.ts';
import { journalWriteErrors } from './metrics.ts';
import { readJsonLines } from './journal.ts';

const HOUR_MS = 3_600_000;
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
  return journal.endsWith('.jsonl') ? `${journal.slice(0, -'.jsonl'.length)}.hourly.jsonl` : `${journal}.hourly.jsonl`;
}

const hourOf = (ms: number) => Math.floor(ms / HOUR_MS) * HOUR_MS;

export class HourlyResults {
  private readonly open = new Map<string, HourLine>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly path: string,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one delivery check result of `vendor` (the caller decides the role from its config). */
  add(r: CheckResult, vendor: Vendor): void {
    const hour = hourOf(r.startedAt);
    const key = `${r.vendor}\u0000${hour}`;
    let line = this.open.get(key);
    if (!line) this.open.set(key, (line = { vendor: r.vendor, hour, runs: 0, failures: 0, latency: phaseBuckets.map(() => 0).concat(0), slow: 0 }));
    line.runs++;
    if (!r.ok) {
      line.failures++;
      return;
    }
    const total = r.phases.total;
    if (total === undefined) return;
    const found = phaseBuckets.findIndex((b) => total <= b);
    const bucket = found === -1 ? phaseBuckets.length : found;
    line.latency[bucket] = line.latency[bucket]! + 1;
    const limitMs = vendor.sla?.latency_p95_ms;
    if (limitMs !== undefined && total > limitMs / 1000) line.slow++;
  }

  /** The counts not yet written (the current hour's, and any the last write failed to append), as copies. */
  unwritten(): HourLine[] {
    return [...this.open.values()].map((l) => ({ ...l, latency: [...l.latency] }));
  }

  /** Writes a line every minute for each hour that is over. */
  start(): void {
    this.timer = setInterval(() => this.flush(), 60_000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.flush(Number.POSITIVE_INFINITY);
  }

  /** Appends the counts of every hour that ended by `until` (default: the current hour's start). */
  flush(until = hourOf(this.now())): void {
    const done = [...this.open].filter(([, l]) => l.hour + HOUR_MS <= until);
    if (!done.length) return;
    try {
      mkdirSync(dirname(this.path), { recursive: true });
      appendFileSync(this.path, done.map(([, l]) => `${JSON.stringify(l)}\n`).join(''));
      for (const [key] of done) this.open.delete(key);
    } catch (err) {
      // Kept in memory for the next try; counted like a journal write error.
      journalWriteErrors.inc();
      this.logger.error({ err, file: this.path }, 'hourly results write failed');
    }
  }
}

/** Every valid line of an hourly results file; a missing file has none, bad lines are skipped. */
export function readHourLines(path: string, onBadLine: (line: number) => void): HourLine[] {
  return readJsonLines(path, hourLineSchema, onBadLine);
}
