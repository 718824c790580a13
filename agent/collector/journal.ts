/**
 * The journal: an append-only JSON-lines file of everything that changed (verdicts, vendor
 * states, probe health, alerts fired and resolved, incidents). It is the evidence for SLA
 * claims, and the collector's memory: on start the collector replays it, so a restart neither
 * re-fires nor forgets an alert, and incidents and flapping history carry on.
 *
 * One line per event; `at` is ms since the epoch. The file only grows with changes, never with
 * results. A write either lands whole lines or is cut back to the last whole line (a full disk
 * must not glue the next event onto half of this one); lines torn anyway (a power cut
 * mid-write) are skipped on replay, counted and logged, and an event glued to one is recovered.
 */
import { closeSync, fdatasyncSync, fstatSync, ftruncateSync, mkdirSync, openSync, readFileSync, readSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import type { Logger } from '../log.ts';
import { journalSkippedLines, journalWriteErrors } from './metrics.ts';
import { alertSchema, alertKey, type Alert } from './alerts/alert.ts';
import { verdictSchema, type CheckVerdicts } from './consensus.ts';
import { noteInputSchema, withNote } from './incidentNotes.ts';
import { incidentSchema, type Incident } from './incidents.ts';
import { vendorStatusSchema, type VendorStatus } from './state.ts';

const probeHealths = ['up', 'down', 'unhealthy', 'forgotten'] as const;

const journalEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('verdict'), at: z.number(), check: z.string(), region: z.string(), outage: verdictSchema, slow: verdictSchema }),
  z.object({ type: z.literal('vendor'), at: z.number(), vendor: z.string(), status: vendorStatusSchema }),
  z.object({ type: z.literal('probe'), at: z.number(), probe: z.string(), region: z.string(), health: z.enum(probeHealths) }),
  z.object({ type: z.literal('alert'), at: z.number(), status: z.enum(['firing', 'resolved']), alert: alertSchema }),
  z.object({ type: z.literal('incident'), at: z.number(), incident: incidentSchema }),
  z.object({ type: z.literal('incident_note'), at: z.number(), incident: z.string(), note: noteInputSchema }),
]);
export type JournalEvent = z.infer<typeof journalEventSchema>;

/** Everything a collector needs back after a restart: the latest of each kind of record. */
interface Restored {
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
    } else if (e.type === 'incident_note') {
      const incident = out.incidents.get(e.incident);
      if (incident) out.incidents.set(incident.id, { ...incident, postmortem: withNote(incident.postmortem, e.note, e.at) });
    } else out.incidents.set(e.incident.id, e.incident);
  }
  out.alerts = [...alerts.values()];
  return out;
}

/** Every valid event of a journal file, in order; `onBadLine` hears the number of each line skipped. */
export function readJournalEvents(path: string, onBadLine: (line: number) => void): JournalEvent[] {
  return readJsonLines(path, journalEventSchema, onBadLine);
}

export class Journal {
  private fd: number | undefined;
  /** Bytes up to the end of the last whole line written: where a failed write is cut back to. */
  private size = 0;
  /** Lines appended inside `batch`, written when it ends. */
  private pending: string[] | undefined;

  constructor(
    readonly path: string,
    private readonly logger: Logger,
  ) {}

  /** Reads every valid event; lines that do not parse are skipped, counted and reported in one log line. */
  read(): JournalEvent[] {
    const skipped: number[] = [];
    const events = readJournalEvents(this.path, (line) => skipped.push(line));
    if (skipped.length) {
      journalSkippedLines.inc(skipped.length);
      this.logger.warn(
        { journal: this.path, skipped: skipped.length, lines: skipped.slice(0, 20) },
        'skipped unreadable journal lines (torn by a crash or a full disk, or edited by hand): the events on them are lost',
      );
    }
    return events;
  }

  /** Appends one event and syncs it to disk (inside `batch`: when the batch ends). */
  append(event: JournalEvent): void {
    const line = `${JSON.stringify(event)}\n`;
    if (this.pending) this.pending.push(line);
    else this.write([line]);
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
      if (lines.length) this.write(lines);
    }
  }

  /** Writes whole lines, or none: a failing disk is cut back, logged and counted, never thrown. */
  private write(lines: string[]): void {
    const text = Buffer.from(lines.join(''));
    try {
      const fd = this.open();
      writeWhole(fd, text);
      fdatasyncSync(fd);
      this.size += text.length;
    } catch (err) {
      journalWriteErrors.inc(lines.length);
      this.logger.error({ err, journal: this.path, events: lines.length }, 'journal write failed: these events are lost');
      this.cutBack();
    }
  }

  private open(): number {
    if (this.fd !== undefined) return this.fd;
    mkdirSync(dirname(this.path), { recursive: true });
    const fd = openSync(this.path, 'a+');
    try {
      this.size = repairTornLine(fd);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
    return (this.fd = fd);
  }

  /** Removes what a failed write left of its lines, so the next one starts on a line of its own. */
  private cutBack(): void {
    if (this.fd === undefined) return;
    try {
      ftruncateSync(this.fd, this.size);
    } catch (err) {
      // Reopening repairs the torn line instead (it ends it; replay then skips it).
      this.logger.error({ err, journal: this.path }, 'cannot cut the journal back to its last whole line');
      this.close();
    }
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/** write(2) may write part of a buffer (a disk filling up): write the rest, or throw. */
function writeWhole(fd: number, data: Buffer): void {
  for (let done = 0; done < data.length;) done += writeSync(fd, data, done, data.length - done);
}

/** After a crash mid-write the file may not end in a newline: end the torn line. Answers the file's size. */
function repairTornLine(fd: number): number {
  const { size } = fstatSync(fd);
  const last = Buffer.alloc(1);
  if (!size || readSync(fd, last, 0, 1, size - 1) !== 1 || last[0] === 0x0a) return size;
  writeWhole(fd, Buffer.from('\n'));
  return size + 1;
}

/**
 * Every line of a JSON-lines file that parses and matches the schema, in order; a missing file
 * has none. Other lines (torn by a crash or a full disk, a hand edit) are skipped and reported by
 * number; a whole record glued to the end of a torn one is still read.
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
  for (const [i, line] of text.split('\n').entries()) {
    if (!line.trim()) continue;
    const parsed = parseLine(line, schema);
    if (parsed === undefined) onBadLine(i + 1);
    const record = parsed ?? gluedRecord(line, schema);
    if (record !== undefined) out.push(record);
  }
  return out;
}

/**
 * A record that starts inside a bad line and runs to its end: what a write that resumed after a
 * torn one left. Only a top-level object can close exactly at the line's end, so the first
 * suffix that parses is it.
 */
function gluedRecord<T>(line: string, schema: z.ZodType<T>): T | undefined {
  for (let at = line.indexOf('{"', 1); at > 0; at = line.indexOf('{"', at + 1)) {
    const parsed = parseLine(line.slice(at), schema);
    if (parsed !== undefined) return parsed;
  }
  return undefined;
}

function parseLine<T>(line: string, schema: z.ZodType<T>): T | undefined {
  try {
    const parsed = schema.safeParse(JSON.parse(line));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
