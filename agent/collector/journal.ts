/**
 * The journal: an append-only JSON-lines file of everything that changed (verdicts, vendor
 * states, probe health, alerts fired and resolved, incidents). It is the evidence for SLA
 * claims, and the collector's memory: on start the collector replays it, so a restart neither
 * re-fires nor forgets an alert, and incidents and flapping history carry on.
 *
 * One line per event; `at` is ms since the epoch. A torn last line (power cut mid-write) is
 * skipped with a warning. The file only grows with changes, never with results.
 */
import { closeSync, fdatasyncSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import type { Logger } from '../log.ts';
import { journalWriteErrors } from '../metrics.ts';
import { alertSchema, alertKey, type Alert } from './alerts/alert.ts';
import { verdictSchema, type CheckVerdicts } from './consensus.ts';
import { incidentSchema, type Incident } from './incidents.ts';
import { vendorStatusSchema, type VendorStatus } from './state.ts';

export const probeHealths = ['up', 'down', 'unhealthy', 'forgotten'] as const;

export const journalEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('verdict'), at: z.number(), check: z.string(), region: z.string(), outage: verdictSchema, slow: verdictSchema }),
  z.object({ type: z.literal('vendor'), at: z.number(), vendor: z.string(), status: vendorStatusSchema }),
  z.object({ type: z.literal('probe'), at: z.number(), probe: z.string(), region: z.string(), health: z.enum(probeHealths) }),
  z.object({ type: z.literal('alert'), at: z.number(), status: z.enum(['firing', 'resolved']), alert: alertSchema }),
  z.object({ type: z.literal('incident'), at: z.number(), incident: incidentSchema }),
]);
export type JournalEvent = z.infer<typeof journalEventSchema>;

/** Everything a collector needs back after a restart: the latest of each kind of record. */
export interface Restored {
  verdicts: Map<string, CheckVerdicts>;
  vendors: Map<string, VendorStatus>;
  probes: Map<string, { region: string; health: Exclude<(typeof probeHealths)[number], 'forgotten'>; at: number }>;
  alerts: Alert[];
  incidents: Map<string, Incident>;
}

export const verdictKey = (check: string, region: string) => `${check}\u0000${region}`;

/** Folds journal events, oldest first, into the latest state of each record. */
export function replay(events: Iterable<JournalEvent>): Restored {
  const out: Restored = { verdicts: new Map(), vendors: new Map(), probes: new Map(), alerts: [], incidents: new Map() };
  const alerts = new Map<string, Alert>();
  for (const e of events) {
    if (e.type === 'verdict') out.verdicts.set(verdictKey(e.check, e.region), { outage: e.outage, slow: e.slow });
    else if (e.type === 'vendor') out.vendors.set(e.vendor, e.status);
    else if (e.type === 'probe') {
      if (e.health === 'forgotten') out.probes.delete(e.probe);
      else out.probes.set(e.probe, { region: e.region, health: e.health, at: e.at });
    } else if (e.type === 'alert') {
      if (e.status === 'firing') alerts.set(alertKey(e.alert.labels), e.alert);
      else alerts.delete(alertKey(e.alert.labels));
    } else out.incidents.set(e.incident.id, e.incident);
  }
  out.alerts = [...alerts.values()];
  return out;
}

export class Journal {
  private fd: number | undefined;
  /** Lines appended inside `batch`, written when it ends. */
  private pending: string[] | undefined;

  constructor(
    readonly path: string,
    private readonly logger: Logger,
  ) {}

  /** Reads every valid event; lines that do not parse are skipped and reported. */
  read(): JournalEvent[] {
    return readJsonLines(this.path, journalEventSchema, (line) => this.logger.warn({ journal: this.path, line }, 'skipping an unreadable journal line'));
  }

  /** Appends one event and syncs it to disk (inside `batch`: when the batch ends). */
  append(event: JournalEvent): void {
    const line = `${JSON.stringify(event)}\n`;
    if (this.pending) this.pending.push(line);
    else this.write(line);
  }

  /**
   * Runs `fn`, writing what it appends with one write and one sync when it returns. An evaluation
   * that changes thousands of verdicts at once (a collector's first, a region losing its probes)
   * would otherwise sync thousands of times and stall ingest; the evaluation is synchronous, so
   * its lines are still on disk before any alert it raised leaves the process.
   */
  batch<T>(fn: () => T): T {
    if (this.pending) return fn();
    this.pending = [];
    try {
      return fn();
    } finally {
      const lines = this.pending;
      this.pending = undefined;
      if (lines.length) this.write(lines.join(''));
    }
  }

  /** A failing disk is logged and counted, never thrown. */
  private write(text: string): void {
    try {
      if (this.fd === undefined) {
        mkdirSync(dirname(this.path), { recursive: true });
        this.fd = openSync(this.path, 'a+');
        this.repairTornLine(this.fd);
      }
      writeSync(this.fd, text);
      fdatasyncSync(this.fd);
    } catch (err) {
      journalWriteErrors.inc();
      this.logger.error({ err, journal: this.path }, 'journal write failed');
    }
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  /** After a crash mid-write the file may not end in a newline; start the next line cleanly. */
  private repairTornLine(fd: number): void {
    const { size } = fstatSync(fd);
    const last = Buffer.alloc(1);
    if (size && readSync(fd, last, 0, 1, size - 1) === 1 && last[0] !== 0x0a) writeSync(fd, '\n');
  }
}

/**
 * Every line of a JSON-lines file that parses and matches the schema, in order; a missing file
 * has none. Other lines (a torn last line, a hand edit) are skipped and reported by number.
 */
export function readJsonLines<T>(path: string, schema: z.ZodType<T>, onBadLine: (line: number) => void): T[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: T[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    const parsed = parseLine(line, schema);
    if (parsed === undefined) onBadLine(i + 1);
    else out.push(parsed);
  });
  return out;
}

function parseLine<T>(line: string, schema: z.ZodType<T>): T | undefined {
  try {
    const parsed = schema.safeParse(JSON.parse(line));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
