/**
 * The collector's engine. It keeps each probe's latest vote per check and, on a timer and after
 * every push, evaluates: probe health → consensus per (check, region) → vendor state →
 * incidents and flapping → alerts, writing every change to the journal and the metrics. The
 * rules live in pure modules (consensus.ts, probeHealth.ts, state.ts, incidents.ts, alerts/alert.ts);
 * this file holds the state.
 */
import { randomUUID } from 'node:crypto';
import { probeDownAfterIn, type ConsensusSettings } from '../../config/effective.ts';
import type { CheckResult } from '../../config/result.ts';
import type { Check, Config, Vendor } from '../../config/schema.ts';
import type { Logger } from '../log.ts';
import {
  evaluationDuration,
  probeClockSkew,
  probeUnhealthy,
  probeUp,
  setConsensusVotes,
  vendorFlapping,
  setVendorStates,
  vendorStateChanges,
} from './metrics.ts';
import {
  flappingAlert,
  probeClockSkewAlert,
  probeDownAlert,
  probeUnhealthyAlert,
  vendorAlert,
  vendorSummary,
  type Alert,
  type AlertLinks,
} from './alerts/alert.ts';
import { AlertDispatcher } from './alerts/dispatcher.ts';
import type { Receiver } from './alerts/receiver.ts';
import { ClockSamples } from './clockSkew.ts';
import type { Vote } from './consensus.ts';
import type { HourlyResults } from './hourlyResults.ts';
import type { IncidentRuns } from './incidentRuns.ts';
import { noteRefusal, withNote, type NoteInput } from './incidentNotes.ts';
import { IncidentUpdates } from './incidentUpdates.ts';
import { flappingAfter, nextIncident, withAlerts, withRealUsers, type Incident } from './incidents.ts';
import { replay, type Journal, type JournalEvent } from './journal.ts';
import { disagreements, isDown, unhealthyProbes } from './probeHealth.ts';
import { usersImpactedRegions, type RealUserImpact } from './rum/impact.ts';
import {
  nextStatus,
  regionConditions,
  regionsWithUsersImpacted,
  severities,
  statusChanged,
  vendorConditions,
  vendorStates,
  withUsersImpacted,
  type Evidence,
  type VendorStatus,
  type VerdictRow,
} from './state.ts';
import { VerdictTable, type VendorVerdicts } from './verdictTable.ts';

interface CollectorOptions {
  config: Config;
  logger: Logger;
  journal: Journal;
  receivers: readonly Receiver[];
  /** Where delivery results are counted per hour for SLA reports (none in tests that do not need it). */
  hourly?: HourlyResults;
  /** Where the failing runs behind each incident are kept for its evidence pack (none in tests that do not need it). */
  runs?: IncidentRuns;
  /** Real-user impact from beacons (rum/impact.ts): the users_impacted condition and the real-user figures of statuses and incidents. */
  realUsers?: RealUserImpact;
  now?: () => number;
  newId?: () => string;
}

interface Watched {
  check: Check;
  vendor: Vendor;
  settings: ConsensusSettings;
}

type ProbeHealth = 'up' | 'down' | 'unhealthy';

export interface ProbeRecord {
  region: string;
  lastSeen: number;
  health: ProbeHealth;
  since: number;
  /** Vendors and checks on which it alone fails (see probeHealth.ts). */
  disagrees: { vendors: string[]; checks: string[] };
  /**
   * Its ProbeUnhealthy alert: open from the first unhealthy evaluation until the probe has been
   * healthy for a whole `flapping.window` (`since` its last change), so a probe that is bad every
   * other run raises one alert, not one per run. Its health (and whether its votes count) still
   * follows every evaluation. `disagrees` is what it last disagreed on while unhealthy.
   */
  unhealthyAlert?: { since: number; disagrees: { vendors: string[]; checks: string[] } };
  /**
   * Its clock (clockSkew.ts): recent samples, the skew estimated at the last evaluation (none
   * until a whole window of samples), and since when it has been over collector.max_clock_skew.
   */
  clock?: { samples: ClockSamples; skewMs?: number; overSince?: number };
}

/** Closed incidents kept in memory for the API (all of them stay in the journal). */
const KEEP_CLOSED_INCIDENTS = 1000;
/** At most this often an evaluation runs because results arrived (the timer runs regardless). */
const MIN_GAP_MS = 250;

export class Collector {
  private readonly watched = new Map<string, Watched>();
  /** Every probe's latest vote per check, and each (check, region)'s verdicts, judged incrementally. */
  private readonly table: VerdictTable;
  private readonly probeRecords = new Map<string, ProbeRecord>();
  private readonly statuses = new Map<string, VendorStatus>();
  private readonly incidentsById = new Map<string, Incident>();
  private readonly openIncidents = new Map<string, string>();
  private readonly updates: IncidentUpdates;
  private readonly dispatcher: AlertDispatcher;
  private readonly now: () => number;
  private readonly newId: () => string;
  private readonly links: AlertLinks;
  /**
   * Until then a vendor's votes are gathered but not judged: after (re)start, its warm-up (its
   * checks' longest interval plus a push interval: every live probe has voted once), so a vendor of
   * fast checks is decided within about one of their intervals.
   */
  private readonly vendorReadyAt = new Map<string, number>();
  /** When every vendor is judged: the warm-up (config.effective.warm_up, the longest of the vendors') after (re)start. */
  readonly readyAt: number;
  private timer: NodeJS.Timeout | undefined;
  private pending: NodeJS.Timeout | undefined;
  private lastEvaluation = Number.NEGATIVE_INFINITY;

  constructor(private readonly opts: CollectorOptions) {
    const { config } = opts;
    this.now = opts.now ?? Date.now;
    this.newId = opts.newId ?? randomUUID;
    this.links = { dashboard: config.alerts.dashboard_url };
    for (const check of config.checks) {
      const vendor = config.vendors.find((v) => v.name === check.vendor)!;
      this.watched.set(check.name, { check, vendor, settings: config.effective.checks[check.name] });
    }
    this.table = new VerdictTable([...this.watched.values()].map((w) => ({ ...w, vendor: w.vendor.name })));
    const start = this.now();
    for (const vendor of config.vendors) this.vendorReadyAt.set(vendor.name, start + config.effective.vendors[vendor.name]!.warm_up);
    this.dispatcher = new AlertDispatcher(opts.receivers, { resendMs: config.alerts.resend_interval, logger: opts.logger });
    this.readyAt = start + config.effective.warm_up;
    this.updates = new IncidentUpdates(config.collector.incident_updates.every);
    this.restore();
  }

  // --- input ---

  /** Whether this collector's config watches the check a result is for (and for that vendor). */
  watches(result: Pick<CheckResult, 'check' | 'vendor'>): boolean {
    return this.watched.get(result.check)?.vendor.name === result.vendor;
  }

  /** Takes one result's vote (the caller has checked `watches` and de-duplicated). */
  record(result: CheckResult, receivedAt = this.now()): void {
    const vote: Vote = {
      probe: result.probe,
      region: result.region,
      ok: result.ok,
      degraded: result.degraded,
      reason: result.reason,
      message: result.message.slice(0, 300),
      phases: result.phases,
      at: Math.min(result.startedAt, receivedAt),
    };
    this.table.record(result.check, vote);
    const watched = this.watched.get(result.check);
    if (watched?.check.role === 'delivery') this.opts.hourly?.add(result, watched.vendor);
    if (watched) this.opts.runs?.add(result, watched.check);
    this.seen(result, receivedAt);
  }

  // --- probe identity and clocks (input side; ingest.ts decides what is accepted) ---

  /** The region a known probe last reported from; undefined for a probe this collector does not know. */
  probeRegion(probe: string): string | undefined {
    return this.probeRecords.get(probe)?.region;
  }

  /** Whether results of this probe id may be taken: it is known, or there is room for one more (collector.max_probes). */
  admitsProbe(probe: string): boolean {
    return this.probeRecords.has(probe) || this.probeRecords.size < this.opts.config.collector.max_probes;
  }

  /** The probe behind a result that passed the identity checks is alive, even when the result's time is refused. */
  seen(result: Pick<CheckResult, 'probe' | 'region'>, receivedAt = this.now()): void {
    const probe = this.probeRecords.get(result.probe);
    if (probe) {
      probe.lastSeen = Math.max(probe.lastSeen, receivedAt);
      probe.region = result.region;
    } else {
      this.probeRecords.set(result.probe, {
        region: result.region,
        lastSeen: receivedAt,
        health: 'up',
        since: receivedAt,
        disagrees: { vendors: [], checks: [] },
      });
      this.journal({ type: 'probe', at: receivedAt, probe: result.probe, region: result.region, health: 'up' });
      this.opts.logger.info({ probe: result.probe, region: result.region }, 'new probe reporting');
    }
  }

  /** One push's clock sample for a probe already `seen` (clockSkew.ts). */
  clockSample(probe: string, ms: number, receivedAt = this.now()): void {
    const p = this.probeRecords.get(probe);
    if (!p) return;
    p.clock ??= { samples: new ClockSamples() };
    p.clock.samples.add(ms, receivedAt);
  }

  /** Evaluates soon after results arrive, coalescing bursts of pushes. */
  requestEvaluation(): void {
    if (this.pending) return;
    const wait = Math.max(0, this.lastEvaluation + MIN_GAP_MS - this.now());
    this.pending = setTimeout(() => {
      this.pending = undefined;
      this.safeEvaluate();
    }, wait);
  }

  start(): void {
    this.timer = setInterval(() => this.safeEvaluate(), this.opts.config.collector.evaluate_every);
  }

  /** Stops evaluating and gives pending alert deliveries a few seconds. */
  async stop(deadlineMs = 3000): Promise<void> {
    clearInterval(this.timer);
    clearTimeout(this.pending);
    await this.dispatcher.stop(deadlineMs);
    this.opts.journal.close();
  }

  // --- evaluation ---

  private safeEvaluate(): void {
    try {
      this.evaluate();
    } catch (err) {
      this.opts.logger.error({ err }, 'evaluation failed');
    }
  }

  evaluate(now = this.now()): void {
    this.lastEvaluation = now;
    const ready = new Set([...this.vendorReadyAt].filter(([, at]) => now >= at).map(([vendor]) => vendor));
    if (!ready.size) {
      this.dispatcher.tick(now);
      return;
    }
    this.opts.journal.batch(() => this.judge(now, ready));
  }

  /** Judges the vendors whose warm-up has passed, and probes on those vendors' checks only. */
  private judge(now: number, ready: ReadonlySet<string>): void {
    const stopTimer = evaluationDuration.startTimer();
    this.table.refresh(now, ready);
    this.judgeProbes(this.table.loneFailures(ready), now);
    this.judgeClocks(now);
    const byVendor = this.judgeChecks(ready, now);
    this.judgeVendors(byVendor, ready, now);
    const open = [...this.openIncidents].map(([vendor, id]) => ({ incident: this.incidentsById.get(id)!, status: this.statuses.get(vendor) }));
    const updated = this.updates.follow(open, now);
    const { fired, resolved } = this.dispatcher.reconcile(this.desiredAlerts(now), now);
    this.sendUpdates(updated);
    for (const alert of fired) this.journal({ type: 'alert', at: now, status: 'firing', alert });
    for (const alert of resolved) this.journal({ type: 'alert', at: now, status: 'resolved', alert });
    for (const alert of [...fired, ...resolved]) {
      this.opts.logger.warn({ alert: alert.labels, status: alert.endsAt === undefined ? 'firing' : 'resolved' }, alert.annotations.summary ?? 'alert');
    }
    this.dispatcher.tick(now);
    stopTimer();
  }

  /** `loneFailures`: the checks on which one in-window vote fails (VerdictTable.loneFailures). */
  private judgeProbes(loneFailures: ReadonlyMap<string, { vendor: string; votes: Vote[] }>, now: number): void {
    const { probe_forget_after, unhealthy_vendors } = this.opts.config.collector;
    const hold = this.opts.config.collector.flapping.window;
    for (const [id, p] of this.probeRecords) {
      if (now - p.lastSeen <= probe_forget_after) continue;
      this.probeRecords.delete(id);
      this.journal({ type: 'probe', at: now, probe: id, region: p.region, health: 'forgotten' });
      this.opts.logger.info({ probe: id, region: p.region }, 'probe forgotten after a long silence');
    }
    const found = disagreements(loneFailures);
    const was = new Set([...this.probeRecords].filter(([, p]) => p.health === 'unhealthy').map(([id]) => id));
    const unhealthy = unhealthyProbes(found, was, unhealthy_vendors);
    probeUp.reset();
    probeUnhealthy.reset();
    for (const [id, p] of this.probeRecords) {
      const health: ProbeHealth = isDown(p.lastSeen, now, probeDownAfterIn(this.opts.config.effective, p.region))
        ? 'down'
        : unhealthy.has(id)
          ? 'unhealthy'
          : 'up';
      const d = found.get(id);
      p.disagrees = { vendors: [...(d?.vendors ?? [])].sort(), checks: [...(d?.checks ?? [])].sort() };
      if (health !== p.health) {
        this.opts.logger.warn({ probe: id, region: p.region, from: p.health, to: health, disagrees: p.disagrees }, 'probe health changed');
        p.health = health;
        p.since = now;
        this.journal({ type: 'probe', at: now, probe: id, region: p.region, health });
      }
      if (health === 'unhealthy') p.unhealthyAlert = { since: p.unhealthyAlert?.since ?? now, disagrees: p.disagrees };
      else if (now - p.since >= hold) p.unhealthyAlert = undefined;
      probeUp.set({ probe: id, region: p.region }, health === 'down' ? 0 : 1);
      probeUnhealthy.set({ probe: id, region: p.region }, health === 'unhealthy' ? 1 : 0);
    }
  }

  private judgeClocks(now: number): void {
    const limit = this.opts.config.collector.max_clock_skew;
    probeClockSkew.reset();
    for (const [id, p] of this.probeRecords) {
      if (!p.clock) continue;
      const skewMs = p.clock.samples.estimate(now);
      p.clock.skewMs = skewMs;
      if (skewMs === undefined) continue;
      probeClockSkew.set({ probe: id, region: p.region }, skewMs / 1000);
      const over = Math.abs(skewMs) > limit;
      if (over && p.clock.overSince === undefined) this.opts.logger.warn({ probe: id, region: p.region, skewSeconds: skewMs / 1000 }, 'probe clock is off');
      p.clock.overSince = over ? (p.clock.overSince ?? now) : undefined;
    }
  }

  /** ProbeClockSkew for every probe whose clock is over collector.max_clock_skew (separate from the vendor alerts). */
  private clockAlerts(): Alert[] {
    const limit = this.opts.config.collector.max_clock_skew;
    return [...this.probeRecords]
      .filter(([, p]) => p.clock?.overSince !== undefined && p.clock.skewMs !== undefined)
      .map(([id, p]) => probeClockSkewAlert(id, p.region, p.clock!.skewMs!, limit, p.clock!.overSince!, this.links));
  }

  /** Judges the (check, region) pairs whose votes changed, journaling changed verdicts; answers every pair's rows and evidence per vendor. */
  private judgeChecks(ready: ReadonlySet<string>, now: number): Map<string, VendorVerdicts> {
    const unhealthy = new Set([...this.probeRecords].filter(([, p]) => p.health === 'unhealthy').map(([id]) => id));
    const probeRegions = [...this.probeRecords.values()].map((p) => p.region);
    const { byVendor, voteCounts } = this.table.judge(ready, unhealthy, probeRegions, (check, region, next) =>
      this.journal({ type: 'verdict', at: now, check, region, ...next }),
    );
    setConsensusVotes(voteCounts);
    return byVendor;
  }

  private judgeVendors(byVendor: ReadonlyMap<string, VendorVerdicts>, ready: ReadonlySet<string>, now: number): void {
    const { config, logger } = this.opts;
    const held: Parameters<typeof setVendorStates>[1][number][] = [];
    for (const vendor of config.vendors.filter((v) => ready.has(v.name))) {
      const { rows, evidence } = byVendor.get(vendor.name) ?? { rows: [], evidence: [] };
      const prev = this.statuses.get(vendor.name);
      const next = nextStatus(prev, this.observe(vendor, rows, evidence, prev), now);
      this.followIncident(vendor, next, now);
      this.statuses.set(vendor.name, next);
      if (!prev) logger.info({ vendor: vendor.name, state: next.state }, 'vendor judged for the first time');
      else if (prev.state !== next.state) {
        vendorStateChanges.inc({ vendor: vendor.name, from: prev.state, to: next.state });
        logger.info({ vendor: vendor.name, from: prev.state, to: next.state, regions: next.conditions[0]?.regions }, 'vendor state changed');
      }
      if (statusChanged(prev, next))
        this.journal({
          type: 'vendor',
          at: now,
          vendor: vendor.name,
          status: { ...next, evidence: compact(next.evidence), lastKnown: { ...next.lastKnown, evidence: compact(next.lastKnown.evidence) } },
        });

      const holding = (conditions: readonly { state: string }[]) => new Set(conditions.map((c) => c.state));
      held.push({
        vendor: vendor.name,
        holds: holding(next.conditions),
        regions: Object.entries(next.regions).map(([region, c]) => [region, holding(c)] as const),
      });
      vendorFlapping.set({ vendor: vendor.name }, next.flapping ? 1 : 0);
    }
    setVendorStates(vendorStates, held);
  }

  /** What this evaluation saw of a vendor: its probes' conditions, with users_impacted where its real users are (rum.users_impacted). */
  private observe(vendor: Vendor, rows: readonly VerdictRow[], evidence: Evidence[], prev: VendorStatus | undefined) {
    const gq = this.opts.config.effective.vendors[vendor.name].global_quorum;
    const realUsers = this.opts.realUsers?.of(vendor.name);
    const holding = new Set(prev?.conditions.find((c) => c.state === 'users_impacted')?.regions);
    const impacted = realUsers ? usersImpactedRegions(realUsers.regions, this.opts.config.rum.users_impacted, holding) : [];
    return {
      conditions: withUsersImpacted(vendorConditions(rows, gq), impacted),
      regions: regionsWithUsersImpacted(regionConditions(rows, gq), impacted),
      evidence,
      realUsers,
    };
  }

  /**
   * Opens, follows or closes the vendor's incident, decides whether the vendor flaps (counting
   * that incident), and raises the open incident's alert for the severity of its state now.
   */
  private followIncident(vendor: Vendor, status: VendorStatus, now: number): void {
    const openId = this.openIncidents.get(vendor.name);
    const open = openId === undefined ? undefined : this.incidentsById.get(openId);
    let { incident, changed } = nextIncident(open, vendor.name, status, now, () => vendorSummary(vendor, status, undefined), this.newId);
    if (incident) this.incidentsById.set(incident.id, incident);
    const isOpen = incident?.end === null;
    if (!open && incident && isOpen) this.opts.runs?.opened(vendor.name, incident.id, incident.start);
    if (open && !isOpen) this.opts.runs?.closed(vendor.name);
    const usersImpacted = this.opts.config.rum.users_impacted.severity;
    const rule = { ...this.opts.config.collector.flapping, usersImpacted };
    status.flapping = flappingAfter(status.flapping, this.incidentsOf(vendor.name, now - rule.window), isOpen, now, rule);
    if (!incident) return;
    // No origin allowed, no beacon: incidents then say nothing about real users.
    if (this.opts.realUsers && this.opts.config.rum.origins.length) {
      const added = this.opts.realUsers.takeNew(incident.id, vendor.name, incident.regions);
      const counted = withRealUsers(incident, status, added, this.opts.config.rum.users_impacted.min_page_views);
      incident = counted.incident;
      changed ||= counted.changed;
      this.incidentsById.set(incident.id, incident);
    }
    if (isOpen) {
      const raised = withAlerts(incident, status.lastKnown.state, status.flapping !== null, now, usersImpacted);
      incident = raised.incident;
      changed ||= raised.changed;
      this.incidentsById.set(incident.id, incident);
      this.openIncidents.set(vendor.name, incident.id);
    } else {
      this.openIncidents.delete(vendor.name);
      this.opts.realUsers?.forget(incident.id);
      this.trimIncidents();
    }
    if (changed) this.journal({ type: 'incident', at: now, incident: { ...incident, evidence: compact(incident.evidence) } });
  }

  /** The vendor's incidents that opened after `since` (the open one included). */
  private incidentsOf(vendor: string, since: number): Incident[] {
    return [...this.incidentsById.values()].filter((i) => i.vendor === vendor && i.start > since);
  }

  private desiredAlerts(now: number): Alert[] {
    const { config } = this.opts;
    const alerts: Alert[] = [];
    for (const vendor of config.vendors) {
      const status = this.statuses.get(vendor.name);
      if (!status) continue;
      const openId = this.openIncidents.get(vendor.name);
      const open = openId === undefined ? undefined : this.incidentsById.get(openId);
      const { window } = config.collector.flapping;
      const { flapping } = status;
      for (const severity of severities) {
        if (flapping) {
          const incidents = this.incidentsOf(vendor.name, flapping.since - window);
          if (flapping.raised[severity] !== undefined) alerts.push(flappingAlert(vendor, status, severity, incidents, window, this.links));
        } else if (open?.raised[severity] !== undefined) alerts.push(this.updates.annotate(vendorAlert(vendor, status, open, severity, this.links), open.id));
      }
    }
    for (const [id, p] of this.probeRecords) {
      if (p.health === 'down') alerts.push(probeDownAlert(id, p.region, p.lastSeen, now, this.links));
      else if (p.unhealthyAlert) {
        const { since, disagrees } = p.unhealthyAlert;
        alerts.push(probeUnhealthyAlert(id, p.region, disagrees.vendors, disagrees.checks, since, this.links));
      }
    }
    alerts.push(...this.clockAlerts());
    return alerts;
  }

  // --- journal ---

  private journal(event: JournalEvent): void {
    this.opts.journal.append(event);
  }

  private restore(): void {
    const now = this.now();
    const restored = replay(this.opts.journal.read());
    this.table.restore(restored.verdicts);
    for (const [name, status] of restored.vendors) if (this.opts.config.vendors.some((v) => v.name === name)) this.statuses.set(name, status);
    for (const [id, p] of restored.probes) {
      // A probe that was down stays down (its alert must not resolve and re-fire); others get a fresh grace period.
      const lastSeen = p.health === 'down' ? p.at - probeDownAfterIn(this.opts.config.effective, p.region) : now;
      const disagrees = { vendors: [], checks: [] };
      this.probeRecords.set(id, {
        region: p.region,
        lastSeen,
        health: p.health,
        since: p.at,
        disagrees,
        ...(p.health === 'unhealthy' && { unhealthyAlert: { since: p.at, disagrees } }),
      });
    }
    for (const incident of restored.incidents.values()) {
      this.incidentsById.set(incident.id, incident);
      if (incident.end === null) {
        this.openIncidents.set(incident.vendor, incident.id);
        this.opts.runs?.resumed(incident.vendor, incident.id);
      }
    }
    this.trimIncidents();
    this.dispatcher.restore(restored.alerts);
    if (restored.vendors.size || restored.alerts.length) {
      this.opts.logger.info(
        { journal: this.opts.journal.path, vendors: restored.vendors.size, alerts: restored.alerts.length, openIncidents: this.openIncidents.size },
        'state restored from the journal',
      );
    }
  }

  private trimIncidents(): void {
    const closed = [...this.incidentsById.values()].filter((i) => i.end !== null).sort((a, b) => a.start - b.start);
    for (const i of closed.slice(0, Math.max(0, closed.length - KEEP_CLOSED_INCIDENTS))) this.incidentsById.delete(i.id);
  }

  // --- periodic updates on open incidents (incidentUpdates.ts; collector.incident_updates) ---

  /** Each updated incident's alert, the page if it raised one, goes to people's channels again. */
  private sendUpdates(incidents: readonly Incident[]): void {
    const alerts = incidents.flatMap((incident) => {
      const id = incident.id;
      const mine = this.dispatcher.activeAlerts().filter((a) => a.annotations.incident === id);
      const alert = mine.find((a) => a.labels.severity === 'page') ?? mine[0];
      if (alert) this.opts.logger.info({ vendor: incident.vendor, incident: id }, alert.annotations.update ?? 'incident update');
      return alert ? [alert] : [];
    });
    this.dispatcher.notify(alerts);
  }

  // --- incident notes (incidentNotes.ts; POST /v1/incidents/ID/notes) ---

  /**
   * Adds a note to an incident, open or closed, and journals it at once. Answers the incident,
   * or why not: `not_found` (no such incident in memory), `full` (the most notes it holds).
   */
  addNote(id: string, note: NoteInput, now = this.now()): { incident: Incident } | { refused: 'not_found' | 'full'; reason: string } {
    const incident = this.incidentsById.get(id);
    if (!incident) return { refused: 'not_found', reason: `no incident ${id} (closed incidents are kept for the last ${KEEP_CLOSED_INCIDENTS})` };
    const full = noteRefusal(incident.postmortem, note);
    if (full) return { refused: 'full', reason: full };
    const next = { ...incident, postmortem: withNote(incident.postmortem, note, now) };
    this.incidentsById.set(id, next);
    this.journal({ type: 'incident_note', at: now, incident: id, note });
    return { incident: next };
  }

  // --- read side (API) ---

  vendorStatuses(): { vendor: Vendor; status: VendorStatus | undefined }[] {
    return this.opts.config.vendors.map((vendor) => ({ vendor, status: this.statuses.get(vendor.name) }));
  }

  /** A check's latest vote from each probe inside its window: what it is judged on, or will be once its vendor's warm-up has passed. */
  latestVotes(check: string, now = this.now()): Vote[] {
    return this.table.latestVotes(check, now);
  }

  probes(): [string, ProbeRecord][] {
    return [...this.probeRecords].sort(([a], [b]) => a.localeCompare(b));
  }

  incidents(): Incident[] {
    return [...this.incidentsById.values()].sort((a, b) => b.start - a.start);
  }

  activeAlerts(): Alert[] {
    return this.dispatcher.activeAlerts();
  }
}

/** Evidence as journaled: votes only where something failed; elsewhere the counts suffice. */
function compact(evidence: readonly Evidence[]): Evidence[] {
  return evidence.map((e) => (e.outage === 'failing' || e.slow === 'failing' ? e : { ...e, votes: [] }));
}
