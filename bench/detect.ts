/**
 * Time to detect: from a vendor fault switched on until its alert is in Alertmanager, and from
 * recovery until it is resolved there; and the alerts one flapping probe causes while every vendor
 * is fine. Two paths, side by side, on the same probes and the same fault in the same trial:
 *   - collector:  four probe processes (two regions, two each) push to a collector process, which
 *                 decides by consensus and alerts Alertmanager (`alerts.alertmanager.url`);
 *   - Prometheus: a real Prometheus scrapes the same probes' /metrics, evaluates the rules
 *                 `vendorwatch rules` prints for the same config, and alerts the same Alertmanager
 *                 (its alerts carry the external label via="prometheus", which tells them apart).
 * The target is an HTTP server in this process whose answer depends on the probe asking (its
 * User-Agent): a fault is a 503 for every probe; flapping is a 503 on every other run of one probe.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { askerOf } from '../lab/probe-faults.ts';
import { startAlertmanager, startSink, type AmAlert } from '../test/support/alertmanager.ts';
import { scrape, sum } from '../test/support/exposition.ts';
import { freePort, runCli, startCli, tempDir, waitFor } from '../test/support/processes.ts';
import { FOUR_PROBES } from '../test/support/probes.ts';
import { startPrometheus, type Prometheus } from '../test/support/prometheus.ts';
import { spread, toolVersion, withStops } from './measure.ts';
import type { Benchmark, Table } from './report.ts';
import { vendorwatchVersion } from './vendorwatch.ts';

/** How often every source is read while a trial waits on it. */
const POLL_MS = 50;
/** Prometheus's scrape and rule evaluation interval (test/support/prometheus.ts). */
const PROMETHEUS_INTERVAL_S = 1;
const TOKEN = 'bench-detect-token';
const FLAPPING_PROBE = FOUR_PROBES[0][0];

const PATHS = ['collector', 'prometheus'] as const;
type Path = (typeof PATHS)[number];
const STAGES = ['evaluator', 'alertmanager', 'notification'] as const;
type Stage = (typeof STAGES)[number];

/** A series of trials at one check interval; `interval` unset is the default (30s). */
interface Series {
  interval?: string;
  trials: number;
}

/**
 * Each trial faults a vendor of its own (identical config): the collector rightly calls a vendor
 * with 3 incidents in 30 minutes flapping and holds its pages, which would turn
 * back-to-back trials on one vendor into a test of that instead.
 */
function planFor(quick: boolean): { series: Series[]; flap: { interval: string; seconds: number } } {
  return quick
    ? { series: [{ interval: '1s', trials: 1 }], flap: { interval: '1s', seconds: 12 } }
    : { series: [{ interval: '5s', trials: 8 }, { trials: 4 }], flap: { interval: '5s', seconds: 180 } };
}

const label = (s: Series) => s.interval ?? 'default';
const trialVendors = (s: Series) => Array.from({ length: s.trials }, (_, i) => `cdn-${label(s)}-${i + 1}`);
const FLAP_VENDORS = ['flap-cdn', 'flap-api'];

/** Every default kept but where the probes push, the journal, and the Alertmanager; short checks time out within their interval. */
function configYaml(dir: string, target: string, alertmanager: string, plan: ReturnType<typeof planFor>): string {
  const vendors = [
    ...plan.series.flatMap((s) => trialVendors(s).map((name) => ({ name, interval: s.interval }))),
    ...FLAP_VENDORS.map((name) => ({ name, interval: plan.flap.interval })),
  ];
  return [
    `probe: { spool_dir: ${JSON.stringify(join(dir, 'spool'))} }`,
    `collector: { token: "\${VENDORWATCH_TOKEN}", journal: ${JSON.stringify(join(dir, 'journal.jsonl'))} }`,
    `alerts: { alertmanager: { url: "${alertmanager}" } }`,
    'vendors:',
    ...vendors.map((v) => `  - { name: ${v.name}, kind: cdn }`),
    'checks:',
    ...vendors.map(
      (v) => `  - { name: ${v.name}-js, vendor: ${v.name}, kind: http, url: "${target}/${v.name}"${v.interval ? `, interval: ${v.interval}, timeout: ${v.interval}` : ''} }`,
    ),
    '',
  ].join('\n');
}

// --- the target: every probe's answer, per vendor path ---

interface Flapping {
  probe: string;
  /** Runs of each flapping vendor's check by the probe so far. */
  runs: Map<string, number>;
  failed: number;
}

class Target {
  /** Vendors (paths) answering 503 to every probe. */
  readonly down = new Set<string>();
  flapping: Flapping | undefined;

  answer(req: IncomingMessage, res: ServerResponse): void {
    const vendor = new URL(req.url ?? '/', 'http://target').pathname.slice(1);
    res.statusCode = this.down.has(vendor) || this.flaps(vendor, askerOf(req)?.probe) ? 503 : 200;
    res.end();
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

/** Reads a source every POLL_MS while someone waits on it; each answer is stamped with when it arrived. */
class Poller<T> {
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

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

type Labels = Record<string, string>;
/** One alert in one Alertmanager webhook notification (each one a page: the route groups by every label). */
interface Notification {
  at: number;
  status: 'firing' | 'resolved';
  labels: Labels;
}

const pathOf = (l: Labels): Path => (l.via === 'prometheus' ? 'prometheus' : 'collector');
const isVendorAlert = (l: Labels, vendor?: string) => l.alertname?.startsWith('Vendor') === true && (vendor === undefined || l.vendor === vendor);
const isHardDown = (l: Labels, vendor: string) => l.alertname === 'VendorHardDown' && l.vendor === vendor;
const alertKey = (l: Labels, startsAt: string) => `${JSON.stringify(Object.entries(l).sort())} ${startsAt}`;

// --- one trial: fault on, seen everywhere; fault off, resolved everywhere ---

interface Sources {
  target: Target;
  /** Collector: GET /v1/vendors, each vendor's state. */
  vendors: Poller<Map<string, string>>;
  /** GET /api/v2/alerts: the alerts Alertmanager holds active (it leaves out those whose endsAt has passed). */
  alertmanager: Poller<AmAlert[]>;
  /** Prometheus: GET /api/v1/alerts, the labels of its firing alerts. */
  prometheus: Poller<Labels[]>;
  /** Alertmanager's webhook notifications, as the sink received them. */
  notifications: Poller<Notification[]>;
}

/** When something happened (ms since the epoch); undefined if it never did in time. */
type Wait = () => Promise<number | undefined>;

/**
 * A stage has resolved when it shows the vendor's alert gone for this long (the time is when it
 * first did): Prometheus hands a recovering vendor from VendorHardDown to VendorRegionalOutage in
 * one evaluation but posts the two alerts apart, and a poll between them must not count as resolved.
 */
const RESOLVED_HOLD_MS = 3000;

/** How each stage of each path sees the vendor's alert appear (detect) and go (resolve). */
function stageWaits(src: Sources, vendor: string, timeoutMs: number): Record<Path, Record<Stage, { detect: Wait; resolve: Wait }>> {
  const at = async (p: Promise<{ at: number } | undefined>) => (await p)?.at;
  const holds = (yes: boolean) => (yes ? true : undefined);
  // Each trial faults its own vendor, so every notification about the vendor belongs to this trial.
  const about = (path: Path, ns: Notification[]) => ns.filter((n) => pathOf(n.labels) === path && isVendorAlert(n.labels, vendor));
  /** The all-clear: every page about the vendor has its resolved notification; the time of the last one. */
  const allClear = (ns: Notification[]) => {
    const fired = ns.filter((n) => n.status === 'firing').length;
    const resolved = ns.filter((n) => n.status === 'resolved');
    return fired && resolved.length >= fired ? resolved.at(-1) : undefined;
  };
  const inAlertmanager = (path: Path) => ({
    detect: () => at(src.alertmanager.until((as) => holds(as.some((a) => pathOf(a.labels) === path && isHardDown(a.labels, vendor))), timeoutMs)),
    resolve: () => at(src.alertmanager.until((as) => holds(!as.some((a) => pathOf(a.labels) === path && isVendorAlert(a.labels, vendor))), timeoutMs, RESOLVED_HOLD_MS)),
  });
  const notification = (path: Path) => ({
    detect: () => src.notifications.until((ns) => about(path, ns).find((n) => n.status === 'firing' && isHardDown(n.labels, vendor)), timeoutMs).then((r) => r?.found.at),
    resolve: () => src.notifications.until((ns) => allClear(about(path, ns)), timeoutMs, RESOLVED_HOLD_MS).then((r) => r?.found.at),
  });
  return {
    collector: {
      evaluator: {
        detect: () => at(src.vendors.until((v) => holds(v.get(vendor) === 'hard_down'), timeoutMs)),
        resolve: () => at(src.vendors.until((v) => holds(v.get(vendor) === 'operational'), timeoutMs, RESOLVED_HOLD_MS)),
      },
      alertmanager: inAlertmanager('collector'),
      notification: notification('collector'),
    },
    prometheus: {
      evaluator: {
        detect: () => at(src.prometheus.until((as) => holds(as.some((l) => isHardDown(l, vendor))), timeoutMs)),
        resolve: () => at(src.prometheus.until((as) => holds(!as.some((l) => isVendorAlert(l, vendor))), timeoutMs, RESOLVED_HOLD_MS)),
      },
      alertmanager: inAlertmanager('prometheus'),
      notification: notification('prometheus'),
    },
  };
}

/** Seconds from the fault (detect) or the recovery (resolve) to each stage; missing where a stage never saw it. */
type Timings = Record<Path, Partial<Record<Stage, number>>>;

interface Trial {
  series: string;
  vendor: string;
  /** When the fault was switched on, and when everything had resolved. */
  t0: number;
  end: number;
  detect: Timings;
  resolve: Timings;
}

async function runTrial(src: Sources, series: string, vendor: string, intervalMs: number): Promise<Trial> {
  const waits = stageWaits(src, vendor, 2 * intervalMs + 30_000);
  const cells = PATHS.flatMap((path) => STAGES.map((stage) => ({ path, stage, ...waits[path][stage] })));
  const timings = (from: number, times: (number | undefined)[]): Timings => {
    const out: Timings = { collector: {}, prometheus: {} };
    cells.forEach(({ path, stage }, i) => {
      if (times[i] !== undefined) out[path][stage] = (times[i] - from) / 1000;
    });
    return out;
  };

  // Fault and recovery each at a uniformly random phase of the probes' check schedules (which this
  // process cannot see): recovering right after detection would always come just after the last
  // probe's run, and every resolve would take almost exactly one interval.
  await sleep(Math.random() * intervalMs);
  const t0 = Date.now();
  src.target.down.add(vendor);
  const detected = await Promise.all(cells.map((c) => c.detect()));
  await sleep(Math.random() * intervalMs);
  const t1 = Date.now();
  src.target.down.delete(vendor);
  // A stage that never saw the alert has nothing to resolve.
  const resolved = await Promise.all(cells.map((c, i) => (detected[i] === undefined ? undefined : c.resolve())));
  return { series, vendor, t0, end: Date.now(), detect: timings(t0, detected), resolve: timings(t1, resolved) };
}

// --- the benchmark ---

export const detectBenchmark: Benchmark = {
  name: 'detect',
  title: 'Time to detect: fault to alert, recovery to resolve, and false alerts',
  run: ({ quick, log }) =>
    withStops(async (onStop) => {
      const stopAtEnd = (running: { stop(): Promise<unknown> }) => onStop(async () => void (await running.stop()));
      const plan = planFor(quick);
      const dir = tempDir('vendorwatch-bench-detect-');
      onStop(() => rmSync(dir, { recursive: true, force: true }));

      const target = new Target();
      const server = createServer((req, res) => target.answer(req, res));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      onStop(() => new Promise<void>((r) => server.close(() => r())));
      const sink = await startSink();
      onStop(() => sink.close());
      const am = await startAlertmanager(`${sink.url}/alertmanager`);
      stopAtEnd(am);

      const file = join(dir, 'vendorwatch.yaml');
      const yaml = configYaml(dir, `http://127.0.0.1:${(server.address() as { port: number }).port}`, am.url, plan);
      writeFileSync(file, yaml);
      const config = parseConfig(yaml, file, { VENDORWATCH_TOKEN: TOKEN });
      const env = { VENDORWATCH_TOKEN: TOKEN, VENDORWATCH_LOG_LEVEL: 'warn' };
      const collectorUrl = `http://127.0.0.1:${await freePort()}`;
      const collector = startCli(['collector', '--config', file, '--listen', new URL(collectorUrl).host], { env });
      stopAtEnd(collector);
      const probes: { listen: string; output: () => string }[] = [];
      for (const [id, region] of FOUR_PROBES) {
        const listen = `127.0.0.1:${await freePort()}`;
        const probe = startCli(['probe', '--config', file, '--listen', listen, '--id', id, '--region', region, '--collector', collectorUrl], { env });
        stopAtEnd(probe);
        probes.push({ listen, output: probe.output });
      }
      // The rules and Prometheus start while the probes boot.
      const rules = await runCli(['rules', '--config', file], { env });
      if (rules.code !== 0) throw new Error(`vendorwatch rules failed: ${rules.stderr}`);
      writeFileSync(join(dir, 'rules.yaml'), rules.stdout);
      const probeAddresses = probes.map((p) => p.listen);
      const prometheus = await startPrometheus(probeAddresses, { ruleFiles: [join(dir, 'rules.yaml')], alertmanager: am.url, externalLabels: { via: 'prometheus' } });
      stopAtEnd(prometheus);
      for (const p of probes) await waitFor(async () => (await fetch(`http://${p.listen}/healthz`)).ok, { what: `probe at ${p.listen}\n${p.output()}`, timeoutMs: 60_000 });

      const maxWindowMs = config.effective.warm_up;
      log(`${config.vendors.length} vendors; waiting out the collector's first window (${maxWindowMs / 1000} s) and every vendor operational on both paths`);
      await waitFor(
        async () => {
          const body = await getJson<{ ready: boolean; vendors: { state: string }[] }>(`${collectorUrl}/v1/vendors`);
          const operational = await prometheus.query('vendorwatch:vendor_state{state="operational"} == 1');
          return body.ready && body.vendors.every((v) => v.state === 'operational') && operational.length === config.vendors.length;
        },
        { what: `every vendor operational on both paths\n${collector.output().slice(-3000)}`, timeoutMs: maxWindowMs + 90_000, everyMs: 500 },
      );

      const firstSeen = new Map<string, { at: number; labels: Labels }>();
      const src: Sources = {
        target,
        vendors: new Poller(async () => {
          const body = await getJson<{ vendors: { name: string; state: string }[] }>(`${collectorUrl}/v1/vendors`);
          return new Map(body.vendors.map((v) => [v.name, v.state]));
        }),
        alertmanager: new Poller(
          () => am.alerts(),
          (alerts, at) => {
            for (const a of alerts) if (!firstSeen.has(alertKey(a.labels, a.startsAt))) firstSeen.set(alertKey(a.labels, a.startsAt), { at, labels: a.labels });
          },
        ),
        prometheus: new Poller(async () => {
          const body = await getJson<{ data: { alerts: { labels: Labels; state: string }[] } }>(`${prometheus.url}/api/v1/alerts`);
          return body.data.alerts.filter((a) => a.state === 'firing').map((a) => a.labels);
        }),
        notifications: new Poller(async () => notificationsOf(sink.received('/alertmanager'))),
      };
      for (const p of [src.vendors, src.alertmanager, src.prometheus, src.notifications]) onStop(() => p.close());

      const trials: Trial[] = [];
      const trialsStart = Date.now();
      for (const series of plan.series) {
        const intervalMs = intervalOf(config, trialVendors(series)[0]!);
        for (const vendor of trialVendors(series)) {
          const t = await runTrial(src, label(series), vendor, intervalMs);
          trials.push(t);
          log(`${vendor}: detect ${brief(t.detect)}; resolve ${brief(t.resolve)}`);
        }
      }
      const trialsEnd = Date.now();

      const settleMs = windowOf(config, FLAP_VENDORS[0]!) + 2000;
      log(`flapping: ${FLAPPING_PROBE} fails every other run of ${FLAP_VENDORS.join(' and ')} for ${plan.flap.seconds} s, then ${settleMs / 1000} s to settle`);
      const changesBefore = await collectorStateChanges(collectorUrl);
      const flapStart = Date.now();
      target.flapping = { probe: FLAPPING_PROBE, runs: new Map(FLAP_VENDORS.map((v) => [v, 0])), failed: 0 };
      await src.alertmanager.watch(plan.flap.seconds * 1000);
      const flapped = target.flapping;
      target.flapping = undefined;
      await src.alertmanager.watch(settleMs);
      const flapEnd = Date.now();
      const stateChanges: Record<Path, number> = {
        collector: (await collectorStateChanges(collectorUrl)) - changesBefore,
        prometheus: await prometheusStateChanges(prometheus, Math.ceil((flapEnd - flapStart) / 1000)),
      };

      const notified = notificationsOf(sink.received('/alertmanager')).filter((n) => n.status === 'firing');
      const seen = [...firstSeen.values()];
      const [collectorVersion, prometheusVersion, alertmanagerVersion] = await Promise.all([
        vendorwatchVersion(),
        toolVersion('prometheus', /prometheus, version \S+/),
        toolVersion('prometheus-alertmanager', /alertmanager, version \S+/),
      ]);

      // Alerts nobody should get: during the trials, anything but the faulted vendor's (from its fault on);
      // during the flapping run, anything.
      const expectedInTrials = (l: Labels, at: number) => trials.some((t) => isVendorAlert(l, t.vendor) && at >= t.t0);
      const unexpected = {
        trials: (at: number, l: Labels) => at >= trialsStart && at <= trialsEnd && !expectedInTrials(l, at),
        flapping: (at: number) => at >= flapStart && at <= flapEnd,
      };
      const count = <T extends { at: number; labels: Labels }>(list: T[], path: Path, run: keyof typeof unexpected, kind: (l: Labels) => boolean) =>
        list.filter((x) => pathOf(x.labels) === path && kind(x.labels) && unexpected[run](x.at, x.labels)).length;
      const isProbeAlert = (l: Labels) => l.alertname?.startsWith('Probe') === true;

      const falseAlertRows = PATHS.flatMap((path) => [
        [
          `one flapping probe, ${plan.flap.seconds} s + ${settleMs / 1000} s to settle`,
          path,
          String(count(notified, path, 'flapping', (l) => isVendorAlert(l))),
          String(count(seen, path, 'flapping', (l) => isVendorAlert(l))),
          path === 'collector' ? String(count(notified, path, 'flapping', isProbeAlert)) : '– (no such rule)',
          path === 'collector' ? String(count(seen, path, 'flapping', isProbeAlert)) : '– (no such rule)',
          String(stateChanges[path]),
        ],
        [
          `fault trials (${Math.round((trialsEnd - trialsStart) / 1000)} s): alerts not about the faulted vendor`,
          path,
          String(count(notified, path, 'trials', (l) => isVendorAlert(l))),
          String(count(seen, path, 'trials', (l) => isVendorAlert(l))),
          path === 'collector' ? String(count(notified, path, 'trials', isProbeAlert)) : '– (no such rule)',
          path === 'collector' ? String(count(seen, path, 'trials', isProbeAlert)) : '– (no such rule)',
          '–',
        ],
      ]);

      const pagesOf = (t: Trial, path: Path) => notified.filter((n) => pathOf(n.labels) === path && isVendorAlert(n.labels, t.vendor));
      const bySeries = plan.series.map((s) => ({ series: s, trials: trials.filter((t) => t.series === label(s)) }));

      return {
        method: [
          `Fleet: ${FOUR_PROBES.length} \`vendorwatch probe\` processes (${FOUR_PROBES.map(([id, region]) => `${id} in ${region}`).join(', ')}) push to one \`vendorwatch collector\` process; a real Alertmanager receives the collector's alerts (\`alerts.alertmanager.url\`) and Prometheus's. Config: every default (consensus window 3 × interval, min_probes 2, strict majority; push_interval ${config.probe.push_interval / 1000} s; evaluate_every ${config.collector.evaluate_every / 1000} s) but where things listen; one http check per vendor, every ${plan.series.map((s) => `${intervalText(config, s)} with timeout ${checkOf(config, trialVendors(s)[0]!).timeout / 1000} s`).join(', or ')}.`,
          `Prometheus path: a real Prometheus scrapes the same ${FOUR_PROBES.length} probes' \`/metrics\` and evaluates the rules \`vendorwatch rules\` prints for the same config, scrape_interval and evaluation_interval ${PROMETHEUS_INTERVAL_S} s, and alerts the same Alertmanager; its alerts carry the external label \`via="prometheus"\`, which is how they are told apart.`,
          "Target: an HTTP server in the benchmark process, one path per vendor, answering per probe (read from the probes' User-Agent). A fault is HTTP 503 to every probe on that vendor's path: both regions fail, so the vendor is hard_down (alert VendorHardDown).",
          `Trials: ${plan.series.map((s) => `${s.trials} at ${intervalText(config, s)}`).join(', ')}, one after another. Each trial faults a vendor of its own (same config), so the collector's flapping rule (${config.collector.flapping.incidents} incidents in ${config.collector.flapping.window / 1000} s hold the pages) does not take back-to-back trials of one vendor for a flapping vendor. Before the fault, and again before the recovery, a random wait uniform in [0, interval), so both land at a random phase of the probes' check schedules. The fault stays on until every stage below has seen the alert (plus that wait), then is switched off (recovery) until every stage has seen it go.`,
          `Stages, each polled every ${POLL_MS} ms (the time is when the answer arrived): evaluator (collector: \`GET /v1/vendors\` says hard_down, then operational; Prometheus: \`GET /api/v1/alerts\` has VendorHardDown firing, then no Vendor* alert for the vendor); Alertmanager API (\`GET /api/v2/alerts\`, which lists active alerts only: VendorHardDown from that path listed, then no Vendor* alert for the vendor from that path listed — every resolve must hold for ${RESOLVED_HOLD_MS / 1000} s, timed from its start, because Prometheus posts the hand-over from VendorHardDown to VendorRegionalOutage as two alerts a moment apart — Alertmanager drops an alert from this list once its endsAt has passed, and both paths send endsAt = the resolve time); notification (Alertmanager's webhook POST of VendorHardDown firing; then the all-clear, the resolved notification after which no page about the vendor is left unresolved; at its arrival time in the benchmark's sink, so not limited by polling). The first page is the first firing notification of any Vendor* alert about the vendor.`,
          "Alertmanager route: group_by ['...'], group_wait 0s, group_interval 1s, so every notification is one page and goes out at once (its defaults, group_wait 30s and group_interval 5m, would delay first and resolved notifications equally for both paths).",
          `False alerts: after the trials, probe ${FLAPPING_PROBE} fails every other run (alternating, per check) of the checks of two healthy vendors (${FLAP_VENDORS.join(', ')}, ${plan.flap.interval} interval) for ${plan.flap.seconds} s — a probe whose own network is flaky fails whatever it checks, and two vendors let the collector's probe-health rule (unhealthy_vendors: 2) see it. Counted over that run and a settle time of one window + 2 s: Vendor* notifications and distinct Vendor* alerts seen in the API (each one a false page), ProbeUnhealthy ones (legitimate, severity ticket), and the vendors' state changes (collector: \`vendorwatch_vendor_state_changes_total\`; Prometheus: \`changes()\` of \`vendorwatch:vendor_state{state="operational"}\`).`,
        ],
        tables: [
          {
            heading: 'Contenders',
            table: {
              columns: ['path', 'version', 'what runs'],
              rows: [
                ['collector', collectorVersion, `vendorwatch probe × ${FOUR_PROBES.length} → POST /v1/results → vendorwatch collector → POST /api/v2/alerts`],
                ['prometheus', prometheusVersion, `scrapes the probes' /metrics every ${PROMETHEUS_INTERVAL_S} s, rules from \`vendorwatch rules\` evaluated every ${PROMETHEUS_INTERVAL_S} s → Alertmanager`],
                ['(both)', alertmanagerVersion, 'Alertmanager receiving both paths; webhook notifications to the benchmark'],
              ],
            },
          },
          {
            heading: 'Time to detect and to resolve (s): fault → VendorHardDown in Alertmanager, recovery → gone from it',
            table: detectTable(bySeries, config, pagesOf),
          },
          { heading: 'Where the time goes (median s, max in parentheses)', table: stagesTable(bySeries, config, pagesOf) },
          {
            heading: `False alerts (${FLAPPING_PROBE} failed ${flapped.failed} of its ${[...flapped.runs.values()].reduce((a, b) => a + b, 0)} runs of the flapping vendors' checks)`,
            table: { columns: ['run', 'path', 'Vendor* notifications', 'Vendor* alerts in the API', 'Probe* notifications', 'Probe* alerts in the API', 'vendor state changes'], rows: falseAlertRows },
          },
        ],
        notes: [
          `Expected bound, collector: every probe's next run starts within one interval I of the fault; its result waits for the next push (push_interval); the collector evaluates within 0.25 s of a push (evaluate_every at the latest). So ≤ I + push_interval + evaluate_every. The window W = 3 × I is not on this path while all probes report: it bounds how long a silent probe's vote still counts. It does delay the start: a collector judges nothing for one window after it starts (readyAt), ${maxWindowMs / 1000} s here, which the benchmark waits out before the first trial.`,
          `Expected bound, Prometheus: I + scrape_interval (the last failing result reaches Prometheus) + 2 × evaluation_interval (the consensus group, then the vendor's alert group, evaluated apart). At the README's example of 10 s scrape and evaluation, add up to 27 s.`,
          "Resolve has the same bound: with two probes per region and a strict majority, a region passes again only when both of its probes pass (the hysteresis), so recovery also waits for the slowest probe's next run.",
          'Pages per fault counts every firing notification about the vendor: the collector pages a regional outage when one region fails first and then escalates to hard_down; it holds its page while the vendor recovers region by region.',
          `The evaluator and Alertmanager API stages are polled (every ${POLL_MS} ms, each answer stamped when it arrived), so on a busy machine one stage's answer can come in after the next stage's; notifications are stamped exactly, on arrival at the sink.`,
          'The Prometheus rules have no memory of what they paged: a hard_down vendor recovering region by region is a regional_outage for a moment there, which can fire VendorRegionalOutage on the way out (counted in pages per fault); the collector holds its page while the vendor eases.',
          'The machine is shared and its load varies; the bounds hold regardless, the spread below them is mostly the random phase.',
        ],
      };
    }),
};

// --- reading the results ---

function notificationsOf(received: { at: number; body: unknown }[]): Notification[] {
  return received.flatMap(({ at, body }) => (body as { alerts: { status: Notification['status']; labels: Labels }[] }).alerts.map((a) => ({ at, status: a.status, labels: a.labels })));
}

async function collectorStateChanges(collectorUrl: string): Promise<number> {
  const samples = await scrape(collectorUrl);
  return FLAP_VENDORS.reduce((n, vendor) => n + sum(samples, 'vendorwatch_vendor_state_changes_total', { vendor }), 0);
}

async function prometheusStateChanges(prometheus: Prometheus, seconds: number): Promise<number> {
  const r = await prometheus.query(`sum(changes(vendorwatch:vendor_state{state="operational",vendor=~"${FLAP_VENDORS.join('|')}"}[${seconds}s]))`);
  return Number(r[0]?.value[1] ?? 0);
}

function checkOf(config: Config, vendor: string) {
  return config.checks.find((c) => c.vendor === vendor)!;
}
const intervalOf = (config: Config, vendor: string) => checkOf(config, vendor).interval;
const windowOf = (config: Config, vendor: string) => config.effective.checks[checkOf(config, vendor).name].window;

/** "5 s", or "30 s (default)" for checks that leave their interval unset. */
const intervalText = (config: Config, s: Series) => `${intervalOf(config, trialVendors(s)[0]!) / 1000} s${s.interval ? '' : ' (default)'}`;
const sec = (v: number) => v.toFixed(2);
const brief = (t: Timings) => PATHS.map((p) => `${p} ${t[p].alertmanager === undefined ? 'missed' : `${sec(t[p].alertmanager)} s`}`).join(', ');

function summary(values: number[]): { median: string; range: string; max: string } {
  if (!values.length) return { median: '–', range: '–', max: '–' };
  const s = spread(values);
  return { median: sec(s.median), range: `${sec(s.p10)}–${sec(s.p90)}`, max: sec(Math.max(...values)) };
}

type SeriesTrials = { series: Series; trials: Trial[] }[];
type PagesOf = (t: Trial, path: Path) => Notification[];

function detectTable(bySeries: SeriesTrials, config: Config, pagesOf: PagesOf): Table {
  const rows = bySeries.flatMap(({ series, trials }) => {
    const vendor = trialVendors(series)[0]!;
    const i = intervalOf(config, vendor) / 1000;
    const bounds: Record<Path, string> = {
      collector: `≤ ${sec(i + (config.probe.push_interval + config.collector.evaluate_every) / 1000)} (I + push_interval + evaluate_every)`,
      prometheus: `≤ ${sec(i + 3 * PROMETHEUS_INTERVAL_S)} (I + scrape + 2 × evaluation)`,
    };
    return PATHS.map((path) => {
      const d = summary(trials.flatMap((t) => t.detect[path].alertmanager ?? []));
      const r = summary(trials.flatMap((t) => t.resolve[path].alertmanager ?? []));
      const pages = trials.map((t) => pagesOf(t, path).length);
      const missed = trials.filter((t) => t.detect[path].alertmanager === undefined || t.resolve[path].alertmanager === undefined).length;
      return [
        `${intervalText(config, series)}, W ${windowOf(config, vendor) / 1000} s`,
        path,
        String(trials.length),
        d.median,
        d.range,
        d.max,
        r.median,
        r.range,
        r.max,
        bounds[path],
        !pages.length ? '–' : Math.min(...pages) === Math.max(...pages) ? String(pages[0]) : `${Math.min(...pages)}–${Math.max(...pages)}`,
        String(missed),
      ];
    });
  });
  return {
    columns: ['interval', 'path', 'trials', 'detect median', 'detect p10–p90', 'detect max', 'resolve median', 'resolve p10–p90', 'resolve max', 'expected bound (config)', 'pages per fault', 'missed'],
    rows,
  };
}

function stagesTable(bySeries: SeriesTrials, config: Config, pagesOf: PagesOf): Table {
  const cell = (values: number[]) => (values.length ? `${sec(spread(values).median)} (${sec(Math.max(...values))})` : '–');
  const names: Record<Stage, string> = { evaluator: 'evaluator', alertmanager: 'Alertmanager API', notification: 'notification' };
  const rows = bySeries.flatMap(({ series, trials }) =>
    PATHS.map((path) => {
      const firstPages = trials.flatMap((t) => pagesOf(t, path).slice(0, 1).map((n) => ({ seconds: (n.at - t.t0) / 1000, alert: n.labels.alertname ?? '' })));
      const alerts = [...new Set(firstPages.map((p) => p.alert))].map((a) => `${a} ${firstPages.filter((p) => p.alert === a).length}/${trials.length}`);
      const stages = (phase: 'detect' | 'resolve') => STAGES.map((stage) => cell(trials.flatMap((t) => t[phase][path][stage] ?? [])));
      return [intervalText(config, series), path, ...stages('detect'), cell(firstPages.map((p) => p.seconds)), alerts.join(', ') || 'none', ...stages('resolve')];
    }),
  );
  return {
    columns: [
      'interval',
      'path',
      ...STAGES.map((s) => `detect: ${names[s]}`),
      'first page (any Vendor*)',
      'first page was',
      ...STAGES.map((s) => `resolve: ${s === 'notification' ? 'all-clear notification' : names[s]}`),
    ],
    rows,
  };
}
