/**
 * The failing runs behind each incident, for its evidence pack (evidencePack.ts): the collector
 * otherwise keeps only each probe's latest vote, and the journal only state changes.
 *
 * Bounded: per incident and (check, region, probe) the first PER_KEY failing (or slow) runs and
 * the last PER_KEY, plus how many there were. The first ones are appended to a JSON-lines file
 * beside the journal (`journal.jsonl` → `journal.runs.jsonl`) as they arrive; the last ones and
 * the counts when the incident closes. What the vendor's own status page said while the
 * incident was open goes there too, a line per change. A restart while an incident is open
 * loses its last runs and counts so far (its first runs are on disk); a full disk loses lines
 * (logged and counted in vendorwatch_journal_write_errors_total).
 *
 * Runs are kept as measured but sanitized on the way in (runEvidence.ts): no query strings,
 * no header values, no URLs off the check's host.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import type { CheckResult } from '../../config/result.ts';
import type { Check } from '../../config/schema.ts';
import type { Logger } from '../log.ts';
import { readJsonLines } from './journal.ts';
import { journalWriteErrors } from './metrics.ts';
import { failedRunSchema, failedRun, type FailedRun } from './runEvidence.ts';

/** Runs kept at each end of an incident, per (check, region, probe). */
export const PER_KEY = 5;
/** Failing runs from before the incident opened that still count as its first (they opened it). */
const LOOKBACK_MS = 10 * 60_000;

const saidSchema = z.object({
  at: z.number(),
  indicator: z.string().optional(),
  description: z.string().optional(),
  unreachable: z.string().optional(),
});
export type Said = z.infer<typeof saidSchema>;

const lineSchema = z.union([
  z.object({ incident: z.string(), run: failedRunSchema }),
  z.object({ incident: z.string(), counts: z.record(z.string(), z.number().int().nonnegative()) }),
  z.object({ incident: z.string(), said: saidSchema }),
]);

/** `data/journal.jsonl` → `data/journal.runs.jsonl` */
export function runsPath(journal: string): string {
  return journal.endsWith('.jsonl') ? `${journal.slice(0, -'.jsonl'.length)}.runs.jsonl` : `${journal}.runs.jsonl`;
}

const keyOf = (r: Pick<FailedRun, 'check' | 'region' | 'probe'>) => `${r.check}\u0000${r.region}\u0000${r.probe}`;

/** What is kept of one incident: its runs (first and last per key, in time order), the counts, what the vendor said. */
export interface IncidentRunsView {
  runs: FailedRun[];
  /** Failing runs per (check, region, probe) key while it was open, when known (see the header). */
  counts: Record<string, number>;
  said: Said[];
}

interface Open {
  id: string;
  /** Per key: how many failing runs, and the last PER_KEY of them. */
  keys: Map<string, { count: number; last: FailedRun[] }>;
}

export class IncidentRuns {
  /** Per vendor, per key: the last PER_KEY failing runs, whether or not an incident is open. */
  private readonly recent = new Map<string, Map<string, FailedRun[]>>();
  private readonly open = new Map<string, Open>();
  private readonly lastSaid = new Map<string, Said>();

  constructor(
    readonly path: string,
    private readonly logger: Logger,
  ) {}

  /** Takes a result the collector accepted; only failing or slow runs are kept. */
  add(result: CheckResult, check: Check): void {
    if (result.ok && !result.degraded) return;
    const run = failedRun(result, check);
    const byKey = this.recent.get(result.vendor) ?? new Map<string, FailedRun[]>();
    this.recent.set(result.vendor, byKey);
    byKey.set(keyOf(run), [...(byKey.get(keyOf(run)) ?? []), run].slice(-PER_KEY));
    const open = this.open.get(result.vendor);
    if (open) this.keep(open, run);
  }

  /** An incident opened: the vendor's recent failing runs (those that opened it) are its first. */
  opened(vendor: string, id: string, start: number): void {
    const open: Open = { id, keys: new Map() };
    this.open.set(vendor, open);
    const before = [...(this.recent.get(vendor)?.values() ?? [])].flat().filter((r) => r.at >= start - LOOKBACK_MS);
    for (const run of before.sort((a, b) => a.at - b.at)) this.keep(open, run);
    const said = this.lastSaid.get(vendor);
    if (said) this.write([{ incident: id, said }]);
  }

  /** An incident open before a restart: runs already on disk count towards its first PER_KEY. */
  resumed(vendor: string, id: string): void {
    const keys = new Map<string, { count: number; last: FailedRun[] }>();
    for (const run of this.read(id).runs) keys.set(keyOf(run), { count: (keys.get(keyOf(run))?.count ?? 0) + 1, last: [] });
    this.open.set(vendor, { id, keys });
  }

  /** The incident closed: its last runs and counts go to disk, and it is no longer followed. */
  closed(vendor: string): void {
    const open = this.open.get(vendor);
    if (!open) return;
    this.open.delete(vendor);
    // The runs of this incident must not count as the first runs of the vendor's next one.
    this.recent.delete(vendor);
    const lines: z.infer<typeof lineSchema>[] = [];
    for (const { count, last } of open.keys.values()) {
      // The first PER_KEY are on disk already; of the rest, the last PER_KEY.
      const unwritten = Math.min(last.length, count - PER_KEY);
      if (unwritten > 0) for (const run of last.slice(last.length - unwritten)) lines.push({ incident: open.id, run });
    }
    lines.push({ incident: open.id, counts: Object.fromEntries([...open.keys].map(([k, v]) => [k, v.count])) });
    this.write(lines);
  }

  /** What the vendor's status page said (VendorStatusPoller): a line for its open incident when it changed. */
  vendorSaid(vendor: string, said: Said): void {
    const prev = this.lastSaid.get(vendor);
    this.lastSaid.set(vendor, said);
    const same = prev && prev.indicator === said.indicator && prev.description === said.description && prev.unreachable === said.unreachable;
    const open = this.open.get(vendor);
    if (open && !same) this.write([{ incident: open.id, said }]);
  }

  /** Everything kept of an incident: from disk, and from memory while it is open. */
  read(id: string): IncidentRunsView {
    const view: IncidentRunsView = { runs: [], counts: {}, said: [] };
    const lines = readJsonLines(this.path, lineSchema, (line) => this.logger.warn({ file: this.path, line }, 'skipping an unreadable line'));
    for (const l of lines) {
      if (l.incident !== id) continue;
      if ('run' in l) view.runs.push(l.run);
      else if ('counts' in l) Object.assign(view.counts, l.counts);
      else view.said.push(l.said);
    }
    const open = [...this.open.values()].find((o) => o.id === id);
    for (const [key, { count, last }] of open?.keys ?? []) {
      view.counts[key] = count;
      const onDisk = new Set(view.runs.filter((r) => keyOf(r) === key).map((r) => r.id));
      view.runs.push(...last.filter((r) => !onDisk.has(r.id)));
    }
    view.runs.sort((a, b) => a.at - b.at);
    return view;
  }

  private keep(open: Open, run: FailedRun): void {
    const key = keyOf(run);
    const kept = open.keys.get(key) ?? { count: 0, last: [] };
    if (kept.last.some((r) => r.id === run.id)) return;
    kept.count++;
    kept.last = [...kept.last, run].slice(-PER_KEY);
    open.keys.set(key, kept);
    if (kept.count <= PER_KEY) this.write([{ incident: open.id, run }]);
  }

  private write(lines: z.infer<typeof lineSchema>[]): void {
    try {
      mkdirSync(dirname(this.path), { recursive: true });
      appendFileSync(this.path, lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
    } catch (err) {
      journalWriteErrors.inc(lines.length);
      this.logger.error({ err, file: this.path, lines: lines.length }, 'incident runs write failed: these lines are lost');
    }
  }
}
