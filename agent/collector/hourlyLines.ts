/**
 * Per-vendor counts by UTC hour, kept in memory and appended as JSON lines to a file beside the
 * journal once their hour is over (checked every minute), and on stop: the shape shared by the
 * hourly result counts (hourlyResults.ts) and the hourly RUM rollup (rum/hourly.ts).
 *
 * Lines are additive: counts that arrive for an hour already written go out in a later line for
 * the same hour, and readers sum them. A failed write keeps the counts for the next try (logged,
 * counted in vendorwatch_journal_write_errors_total); a crash loses at most the hours not written.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from '../log.ts';
import { journalWriteErrors } from './metrics.ts';

export const HOUR_MS = 3_600_000;
export const hourOf = (ms: number) => Math.floor(ms / HOUR_MS) * HOUR_MS;

/** `data/journal.jsonl` → `data/journal.<suffix>.jsonl` */
export function besideJournal(journal: string, suffix: string): string {
  return journal.endsWith('.jsonl') ? `${journal.slice(0, -'.jsonl'.length)}.${suffix}.jsonl` : `${journal}.${suffix}.jsonl`;
}

export class HourlyLines<Line extends { vendor: string; hour: number }> {
  protected readonly open = new Map<string, Line>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly path: string,
    protected readonly logger: Logger,
    protected readonly now: () => number = Date.now,
  ) {}

  /** The open line of (vendor, the UTC hour of `at`), made by `empty` the first time. */
  protected line(vendor: string, at: number, empty: (hour: number) => Line): Line {
    const hour = hourOf(at);
    const key = `${vendor}\u0000${hour}`;
    let line = this.open.get(key);
    if (!line) this.open.set(key, (line = empty(hour)));
    return line;
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
      this.logger.error({ err, file: this.path }, 'hourly counts write failed');
    }
  }
}
