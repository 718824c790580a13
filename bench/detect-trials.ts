/**
 * The trials of the detect benchmark (detect.ts sets up the fleet and reports): the target whose
 * answers make the faults, the pollers that watch each stage of both paths, and one trial.
 *
 * Kinds of trial, each on a vendor of its own:
 *   simultaneous  every region fails at the same instant (hard_down at once);
 *   spreading     the regions fail one after another, one check interval apart (regional_outage,
 *                 then hard_down: one incident that spreads);
 *   thin outage   the one probe of the thin region keeps failing, on a check with consensus
 *                 min_probes 1 (regional_outage resting on one probe's votes);
 *   thin blip     that probe fails one run, then passes again (must page nobody).
 *
 * Alerts are told apart by their labels only where every commit agrees: `vendor`, `severity`
 * (page | ticket) and `via` (the Prometheus path's external label). Never by alertname, so the
 * same benchmark measures commits whose alerts are named differently.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { askerOf } from '../lab/probe-faults.ts';
import type { AmAlert } from '../test/support/alertmanager.ts';

/** The regions with two probes each; the thin region has one probe only. */
export const REGIONS = ['eu', 'us', 'ap'] as const;
export const THIN_REGION = 'sa';
export const THIN_PROBE = 'sa-1';
/** The fleet, as [probe, region]. */
export const PROBES: readonly (readonly [string, string])[] = [
  ...REGIONS.flatMap((r) => [[`${r}-1`, r] as const, [`${r}-2`, r] as const]),
  [THIN_PROBE, THIN_REGION],
];

export const KINDS = ['simultaneous', 'spreading', 'thin outage', 'thin blip'] as const;
export type Kind = (typeof KINDS)[number];
/** Kinds whose vendor's check has `consensus: { min_probes: 1 }`, so the thin region has a verdict of its own. */
export const isThin = (kind: Kind) => kind === 'thin outage' || kind === 'thin blip';
/** A real outage pages (once); a blip pages nobody. */
export const shouldPage = (kind: Kind) => kind !== 'thin blip';

/** The regions that fail, group by group, one check interval apart. */
function faultSteps(kind: Exclude<Kind, 'thin blip'>): string[][] {
  switch (kind) {
    case 'simultaneous':
      return [[...REGIONS, THIN_REGION]];
    case 'spreading':
      return [[REGIONS[0]], [REGIONS[1]], [REGIONS[2], THIN_REGION]];
    case 'thin outage':
      return [[THIN_REGION]];
  }
}

// --- the target: every probe's answer, per vendor path ---

interface Flapping {
  probe: string;
  /** Runs of each flapping vendor's check by the probe so far. */
  runs: Map<string, number>;
  failed: number;
}

export class Target {
  /** Per vendor (its path), the regions whose probes get a 503. */
  private readonly down = new Map<string, Set<string>>();
  /** Per vendor, the probe whose next run gets one 503, and who waits for that to happen. */
  private readonly blips = new Map<string, { probe: string; answered: () => void }>();
  flapping: Flapping | undefined;

  answer(req: IncomingMessage, res: ServerResponse): void {
    const vendor = new URL(req.url ?? '/', 'http://target').pathname.slice(1);
    const asker = askerOf(req);
    const fails = this.down.get(vendor)?.has(asker?.region ?? '') === true || this.blipped(vendor, asker?.probe) || this.flaps(vendor, asker?.probe);
    res.statusCode = fails ? 503 : 200;
    res.end();
  }

  fail(vendor: string, regions: readonly string[]): void {
    this.down.set(vendor, new Set([...(this.down.get(vendor) ?? []), ...regions]));
  }

  recover(vendor: string): void {
    this.down.delete(vendor);
  }

  /** Fails the probe's next run of the vendor's check, once; resolves when that run had its 503. */
  blip(vendor: string, probe: string): Promise<void> {
    return new Promise((answered) => this.blips.set(vendor, { probe, answered }));
  }

  private blipped(vendor: string, probe: string | undefined): boolean {
    const blip = this.blips.get(vendor);
    if (!blip || blip.probe !== probe) return false;
    this.blips.delete(vendor);
    blip.answered();
    return true;
  }

  /** The flapping probe fails every other run of each flapping vendor's check. */
  private flaps(vendor: string, probe: string | undefined): boolean {
    const f = this.flapping;
    const runs = f?.runs.get(vendor);
    if (!f || probe !== f.probe || runs === undefined) return false;
    f.runs.set(vendor, runs + 1);
    const fail = runs % 2 === 0;
    if (fail) f.failed++;
    return fail;
  }
}

// --- reading the sources ---

/** How often every source is read while a trial waits on it. */
export const POLL_MS = 50;

/** Reads a source every POLL_MS while someone waits on it; each answer is stamped with when it arrived. */
export class Poller<T> {
  private readonly waiters = new Map<(value: T, at: number) => void, () => void>();
  private polling = false;

  constructor(
    private readonly read: () => Promise<T>,
    /** Sees every answer (for counting what ever showed up). */
    private readonly seen?: (value: T, at: number) => void,
  ) {}

  /**
   * The first answer for which `find` returns something, with its time; undefined after timeoutMs.
   * With holdMs, `find` must keep finding for that long; the answer is the first of that stretch.
   */
  until<R>(find: (value: T) => R | undefined, timeoutMs: number, holdMs = 0): Promise<{ at: number; found: R } | undefined> {
    let first: { at: number; found: R } | undefined;
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(undefined), timeoutMs);
      const done = (result: { at: number; found: R } | undefined) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(result);
      };
      const check = (value: T, at: number) => {
        const found = find(value);
        first = found === undefined ? undefined : (first ?? { at, found });
        if (first && at - first.at >= holdMs) done(first);
      };
      this.waiters.set(check, () => done(undefined));
      void this.poll();
    });
  }

  /** Keeps reading for ms (so `seen` counts what shows up meanwhile). */
  async watch(ms: number): Promise<void> {
    await this.until(() => undefined, ms);
  }

  /** Ends every wait now. */
  close(): void {
    for (const end of [...this.waiters.values()]) end();
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    while (this.waiters.size) {
      try {
        const value = await this.read();
        const at = Date.now();
        this.seen?.(value, at);
        for (const check of [...this.waiters.keys()]) check(value, at);
      } catch {
        // A failed read is a missed poll; the next one tries again.
      }
      await sleep(POLL_MS);
    }
    this.polling = false;
  }
}

export type Labels = Record<string, string>;
/** One alert in one Alertmanager webhook notification (each one a message to a person: the route groups by every label). */
export interface Notification {
  at: number;
  status: 'firing' | 'resolved';
  labels: Labels;
}

export const PATHS = ['collector', 'prometheus'] as const;
export type Path = (typeof PATHS)[number];
export const STAGES = ['evaluator', 'alertmanager', 'notification'] as const;
type Stage = (typeof STAGES)[number];

export const pathOf = (l: Labels): Path => (l.via === 'prometheus' ? 'prometheus' : 'collector');
/** An alert about the vendor, whatever its name. */
export const isAbout = (l: Labels, vendor: string) => l.vendor === vendor;
export const isPage = (l: Labels) => l.severity === 'page';
/** An alert's identity on its path: its labels but `via`. */
export const identityOf = (l: Labels) =>
  JSON.stringify(
    Object.entries(l)
      .filter(([k]) => k !== 'via')
      .sort(([a], [b]) => a.localeCompare(b)),
  );
/** The collector's vendor states that page on every commit measured. */
const PAGE_STATES = ['hard_down', 'regional_outage'];

export interface Sources {
  target: Target;
  /** Collector: GET /v1/vendors, each vendor's state. */
  vendors: Poller<Map<string, string>>;
  /** GET /api/v2/alerts: the alerts Alertmanager holds active (it leaves out those whose endsAt has passed). */
  alertmanager: Poller<AmAlert[]>;
  /** Prometheus: GET /api/v1/alerts, the labels of its firing alerts. */
  prometheus: Poller<Labels[]>;
  /** Alertmanager's webhook notifications, as the sink received them, in that order. */
  notifications: Poller<Notification[]>;
}

/** When something happened (ms since the epoch); undefined if it never did in time. */
type Wait = () => Promise<number | undefined>;

/**
 * A stage has resolved when it shows every alert about the vendor gone for this long (the time is
 * when it first did): a path that hands one alert to another (older rules: VendorHardDown to
 * VendorRegionalOutage while a vendor recovers region by region) posts the two a moment apart,
 * and a poll between them must not count as resolved.
 */
export const RESOLVED_HOLD_MS = 3000;

/**
 * The all-clear among notifications about one vendor on one path: every alert that fired has
 * resolved since (its last notification says resolved); the last of those resolved notifications.
 */
function allClear(ns: readonly Notification[]): Notification | undefined {
  const last = new Map<string, Notification>();
  for (const n of ns) last.set(identityOf(n.labels), n);
  const lasts = [...last.values()];
  if (!lasts.length || lasts.some((n) => n.status !== 'resolved')) return undefined;
  return lasts.reduce((a, b) => (b.at > a.at ? b : a));
}

/** How each stage of each path sees the vendor's page appear (detect, from `since`) and every alert about it go (resolve). */
function stageWaits(src: Sources, vendor: string, since: number, timeoutMs: number): Record<Path, Record<Stage, { detect: Wait; resolve: Wait }>> {
  const at = async (p: Promise<{ at: number } | undefined>) => (await p)?.at;
  const holds = (yes: boolean) => (yes ? true : undefined);
  // Each trial faults its own vendor, so every notification about the vendor belongs to this trial.
  const about = (path: Path, ns: Notification[]) => ns.filter((n) => pathOf(n.labels) === path && isAbout(n.labels, vendor));
  const paging = (path: Path) => (l: Labels) => pathOf(l) === path && isAbout(l, vendor) && isPage(l);
  const inAlertmanager = (path: Path) => ({
    detect: () => at(src.alertmanager.until((as) => holds(as.some((a) => paging(path)(a.labels))), timeoutMs)),
    resolve: () =>
      at(src.alertmanager.until((as) => holds(!as.some((a) => pathOf(a.labels) === path && isAbout(a.labels, vendor))), timeoutMs, RESOLVED_HOLD_MS)),
  });
  const notification = (path: Path) => ({
    detect: () =>
      at(src.notifications.until((ns) => ns.find((n) => n.at >= since && n.status === 'firing' && paging(path)(n.labels)), timeoutMs).then((r) => r?.found)),
    resolve: () => at(src.notifications.until((ns) => allClear(about(path, ns)), timeoutMs, RESOLVED_HOLD_MS).then((r) => r?.found)),
  });
  return {
    collector: {
      evaluator: {
        detect: () => at(src.vendors.until((v) => holds(PAGE_STATES.includes(v.get(vendor) ?? '')), timeoutMs)),
        resolve: () => at(src.vendors.until((v) => holds(v.get(vendor) === 'operational'), timeoutMs, RESOLVED_HOLD_MS)),
      },
      alertmanager: inAlertmanager('collector'),
      notification: notification('collector'),
    },
    prometheus: {
      evaluator: {
        detect: () => at(src.prometheus.until((as) => holds(as.some((l) => isAbout(l, vendor) && isPage(l))), timeoutMs)),
        resolve: () => at(src.prometheus.until((as) => holds(!as.some((l) => isAbout(l, vendor))), timeoutMs, RESOLVED_HOLD_MS)),
      },
      alertmanager: inAlertmanager('prometheus'),
      notification: notification('prometheus'),
    },
  };
}

/** Seconds from the fault (detect) or the recovery (resolve) to each stage; missing where a stage never saw it. */
export type Timings = Record<Path, Partial<Record<Stage, number>>>;

export interface Trial {
  kind: Kind;
  vendor: string;
  /** When the fault was switched on (the first region, or the blip), and when the trial ended. */
  t0: number;
  end: number;
  /** Empty for a blip: nothing should detect it. */
  detect: Timings;
  resolve: Timings;
}

/**
 * One trial. Fault and recovery each come at a uniformly random phase of the probes' check
 * schedules (which this process cannot see): recovering right after detection would always come
 * just after the last probe's run, and every resolve would take almost exactly one interval.
 * An outage stays on until every stage has seen the page (and its last region has failed), then
 * all its regions recover at once, until every stage has seen every alert about it go. A blip
 * is followed by `quietMs` in which nothing should page.
 */
export async function runTrial(src: Sources, kind: Kind, vendor: string, intervalMs: number, quietMs: number): Promise<Trial> {
  const none: Timings = { collector: {}, prometheus: {} };
  await sleep(Math.random() * intervalMs);
  const t0 = Date.now();
  if (kind === 'thin blip') {
    const answered = await Promise.race([src.target.blip(vendor, THIN_PROBE).then(() => true), sleep(2 * intervalMs + 30_000, false, { ref: false })]);
    if (!answered) throw new Error(`${THIN_PROBE} never ran ${vendor}'s check`);
    // Watched, so an alert it raises is counted among those seen in Alertmanager's API.
    await src.alertmanager.watch(quietMs);
    return { kind, vendor, t0, end: Date.now(), detect: none, resolve: none };
  }

  const [first, ...later] = faultSteps(kind);
  const waits = stageWaits(src, vendor, t0, (2 + later.length) * intervalMs + 30_000);
  const cells = PATHS.flatMap((path) => STAGES.map((stage) => ({ path, stage, ...waits[path][stage] })));
  const timings = (from: number, times: (number | undefined)[]): Timings => {
    const out: Timings = { collector: {}, prometheus: {} };
    cells.forEach(({ path, stage }, i) => {
      if (times[i] !== undefined) out[path][stage] = (times[i] - from) / 1000;
    });
    return out;
  };

  src.target.fail(vendor, first!);
  const spreading = (async () => {
    for (const regions of later) {
      await sleep(intervalMs);
      src.target.fail(vendor, regions);
    }
  })();
  const detected = await Promise.all(cells.map((c) => c.detect()));
  await spreading;
  await sleep(Math.random() * intervalMs);
  const t1 = Date.now();
  src.target.recover(vendor);
  // A stage that never saw the page has nothing to resolve.
  const resolved = await Promise.all(cells.map((c, i) => (detected[i] === undefined ? undefined : c.resolve())));
  return { kind, vendor, t0, end: Date.now(), detect: timings(t0, detected), resolve: timings(t1, resolved) };
}
