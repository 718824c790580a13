/**
 * What the status page shows of the past, per vendor: the worst state of each of the last 24
 * hours and this month's measured availability (both from the journal, through the SLA report's
 * own code), and p50/p95 of delivery check run times per hour (from the hourly results file and
 * the counts of the current hour still in memory).
 *
 * The files are re-read only when their size or modification time changed, so a page view costs
 * a stat() when nothing happened. Lines that do not parse are skipped here without a word: the
 * collector counted and logged the journal's on start-up, and `vendorwatch report` the hourly
 * file's; the page loses nothing by skipping them.
 */
import { statSync } from 'node:fs';
import type { Config } from '../../config/schema.ts';
import type { Logger } from '../log.ts';
import { bucketQuantile } from '../histogram.ts';
import { phaseBuckets } from '../metrics.ts';
import { reportPeriod, slaReport, stateHours, type StateHour, type VendorReport } from '../report/sla.ts';
import { hourlyPath, readHourLines, type HourLine, type HourlyResults } from './hourlyResults.ts';
import { readJournalEvents, type JournalEvent } from './journal.ts';
import type { LatencyHour } from './statusCharts.ts';

const HOUR_MS = 3_600_000;
const HISTORY_HOURS = 24;

export interface VendorHistory {
  states: StateHour[];
  latency: LatencyHour[];
  /** This UTC month so far. */
  month: VendorReport;
}

/** Each vendor's history at `now`. Pure. */
export function vendorHistories(config: Config, events: readonly JournalEvent[], hours: readonly HourLine[], now: number): Map<string, VendorHistory> {
  const from = Math.floor(now / HOUR_MS) * HOUR_MS - (HISTORY_HOURS - 1) * HOUR_MS;
  const month = slaReport(config, events, hours, reportPeriod({}, now), now);
  return new Map(
    month.vendors.map((report) => [
      report.vendor,
      { states: stateHours(events, report.vendor, from, now), latency: latencyHours(hours, report.vendor, from), month: report },
    ]),
  );
}

function latencyHours(lines: readonly HourLine[], vendor: string, from: number): LatencyHour[] {
  return Array.from({ length: HISTORY_HOURS }, (_, i) => {
    const hour = from + i * HOUR_MS;
    // Lines are additive: a late result for an hour already written comes in a later line.
    const mine = lines.filter((l) => l.vendor === vendor && l.hour === hour);
    const counts = phaseBuckets.map((_, b) => mine.reduce((n, l) => n + l.latency[b]!, 0)).concat(mine.reduce((n, l) => n + l.latency.at(-1)!, 0));
    const ms = (q: number) => {
      const s = bucketQuantile(phaseBuckets, counts, q);
      return s === undefined ? undefined : s * 1000;
    };
    return { hour, runs: counts.reduce((a, b) => a + b, 0), p50Ms: ms(0.5), p95Ms: ms(0.95) };
  });
}

/** Reads a file again only when it changed. */
class FileCache<T> {
  private key = '';
  private value: T[] = [];

  constructor(
    private readonly path: string,
    private readonly read: (path: string) => T[],
  ) {}

  get(): T[] {
    let key = 'missing';
    try {
      const st = statSync(this.path);
      key = `${st.size}:${st.mtimeMs}`;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (key !== this.key) {
      this.value = key === 'missing' ? [] : this.read(this.path);
      this.key = key;
    }
    return this.value;
  }
}

export class StatusHistory {
  private readonly journal: FileCache<JournalEvent>;
  private readonly hourlyFile: FileCache<HourLine>;

  private lastError: string | undefined;

  constructor(
    private readonly config: Config,
    private readonly hourly: HourlyResults | undefined,
    private readonly logger: Logger,
  ) {
    const skip = () => {};
    this.journal = new FileCache(config.collector.journal, (p) => readJournalEvents(p, skip));
    this.hourlyFile = new FileCache(hourlyPath(config.collector.journal), (p) => readHourLines(p, skip));
  }

  /** Each vendor's history; none (and one warning per new error) when the files cannot be read: the page still shows the present. */
  at(now: number): Map<string, VendorHistory> {
    try {
      const histories = vendorHistories(this.config, this.journal.get(), [...this.hourlyFile.get(), ...(this.hourly?.unwritten() ?? [])], now);
      this.lastError = undefined;
      return histories;
    } catch (err) {
      const message = (err as Error).message;
      if (message !== this.lastError)
        this.logger.warn(
          { err: message, journal: this.config.collector.journal },
          'status page shows no history: the journal or hourly results cannot be read',
        );
      this.lastError = message;
      return new Map();
    }
  }
}
