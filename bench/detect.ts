/**
 * One vendor incident, one page? For two alerting paths side by side, on the same probes and the
 * same fault in the same trial: how many notifications an incident makes, how many pages nobody
 * should get, and the time from a fault to the first page and from recovery to the all-clear.
 *   - collector:  seven probe processes (two in each of three regions, one alone in a fourth)
 *                 push to a collector process, which decides by consensus and alerts Alertmanager
 *                 (`alerts.alertmanager.url`);
 *   - Prometheus: a real Prometheus scrapes the same probes' /metrics, evaluates the rules
 *                 `vendorwatch rules` prints for the same config, and alerts the same Alertmanager
 *                 (its alerts carry the external label via="prometheus", which tells them apart).
 * The trials (detect-trials.ts): an outage of every region at once, one spreading region by
 * region, one in a region with one probe, and a single failed run there; then one flapping probe.
 */
import { createServer } from 'node:http';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { startAlertmanager, startSink } from '../test/support/alertmanager.ts';
import { scrape, sum } from '../test/support/exposition.ts';
import { freePort, runCli, startCli, tempDir, waitFor } from '../test/support/processes.ts';
import { startPrometheus, type Prometheus } from '../test/support/prometheus.ts';
import {
  identityOf,
  isAbout,
  isPage,
  isThin,
  KINDS,
  PATHS,
  pathOf,
  POLL_MS,
  Poller,
  PROBES,
  RESOLVED_HOLD_MS,
  runTrial,
  shouldPage,
  STAGES,
  Target,
  THIN_PROBE,
  THIN_REGION,
  type Kind,
  type Labels,
  type Notification,
  type Path,
  type Sources,
  type Trial,
} from './detect-trials.ts';
import { spread, toolVersion, withStops } from './measure.ts';
import type { Benchmark, Table } from './report.ts';
import { vendorwatchVersion } from './vendorwatch.ts';

/** Prometheus's scrape and rule evaluation interval (test/support/prometheus.ts). */
const PROMETHEUS_INTERVAL_S = 1;
const TOKEN = 'bench-detect-token';
const FLAPPING_PROBE = PROBES[0]![0];
const FLAP_VENDORS = ['flap-cdn', 'flap-api'];

/**
 * Every check runs at one interval; trials of each kind, interleaved kind by kind so load drifting
 * on the shared machine hits every kind alike. Each trial faults a vendor of its own: the
 * collector rightly calls a vendor with 3 incidents in 30 minutes flapping and holds its pages,
 * which would turn back-to-back trials on one vendor into a test of that instead.
 */
interface Plan {
  interval: string;
  trials: Record<Kind, number>;
  flapSeconds: number;
}

function planFor(quick: boolean): Plan {
  return quick
    ? { interval: '1s', trials: { simultaneous: 1, spreading: 1, 'thin outage': 1, 'thin blip': 1 }, flapSeconds: 12 }
    : { interval: '5s', trials: { simultaneous: 6, spreading: 6, 'thin outage': 5, 'thin blip': 5 }, flapSeconds: 150 };
}

const SLUGS: Record<Kind, string> = { simultaneous: 'sim', spreading: 'spread', 'thin outage': 'thin', 'thin blip': 'blip' };
const vendorsOf = (plan: Plan, kind: Kind) => Array.from({ length: plan.trials[kind] }, (_, i) => `${SLUGS[kind]}-${i + 1}`);

/** The trials in the order they run: round by round, one of each kind that has trials left. */
function schedule(plan: Plan): { kind: Kind; vendor: string }[] {
  const rounds = Math.max(...KINDS.map((k) => plan.trials[k]));
  return Array.from({ length: rounds }, (_, i) => KINDS.flatMap((kind) => (i < plan.trials[kind] ? [{ kind, vendor: vendorsOf(plan, kind)[i]! }] : []))).flat();
}

/**
 * Every default kept but where the probes push, the journal, and the Alertmanager; checks time out
 * within their interval. The thin trials' checks take `consensus: { min_probes: 1 }`, which gives
 * the one-probe region a verdict of its own; elsewhere that region has none (min_probes 2).
 */
function configYaml(dir: string, target: string, alertmanager: string, plan: Plan): string {
  const vendors = [
    ...KINDS.flatMap((kind) => vendorsOf(plan, kind).map((name) => ({ name, thin: isThin(kind) }))),
    ...FLAP_VENDORS.map((name) => ({ name, thin: false })),
  ];
  return [
    `probe: { spool_dir: ${JSON.stringify(join(dir, 'spool'))} }`,
    `collector: { token: "\${VENDORWATCH_TOKEN}", journal: ${JSON.stringify(join(dir, 'journal.jsonl'))} }`,
    `alerts: { alertmanager: { url: "${alertmanager}" } }`,
    'vendors:',
    ...vendors.map((v) => `  - { name: ${v.name}, kind: cdn }`),
    'checks:',
    ...vendors.map(
      (v) =>
        `  - { name: ${v.name}-js, vendor: ${v.name}, kind: http, url: "${target}/${v.name}", interval: ${plan.interval}, timeout: ${plan.interval}${v.thin ? ', consensus: { min_probes: 1 }' : ''} }`,
    ),
    '',
  ].join('\n');
}

// --- the benchmark ---

export const detectBenchmark: Benchmark = {
  name: 'detect',
  title: 'One incident, one page: notifications per incident, false pages, time to detect and to resolve',
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
      for (const [id, region] of PROBES) {
        const listen = `127.0.0.1:${await freePort()}`;
        const probe = startCli(['probe', '--config', file, '--listen', listen, '--id', id, '--region', region, '--collector', collectorUrl], { env });
        stopAtEnd(probe);
        probes.push({ listen, output: probe.output });
      }
      // The rules and Prometheus start while the probes boot.
      const rules = await runCli(['rules', '--config', file], { env });
      if (rules.code !== 0) throw new Error(`vendorwatch rules failed: ${rules.stderr}`);
      writeFileSync(join(dir, 'rules.yaml'), rules.stdout);
      const prometheus = await startPrometheus(
        probes.map((p) => p.listen),
        { ruleFiles: [join(dir, 'rules.yaml')], alertmanager: am.url, externalLabels: { via: 'prometheus' } },
      );
      stopAtEnd(prometheus);
      for (const p of probes)
        await waitFor(async () => (await fetch(`http://${p.listen}/healthz`)).ok, { what: `probe at ${p.listen}\n${p.output()}`, timeoutMs: 60_000 });

      const intervalMs = config.checks[0]!.interval;
      const windowMs = windowOf(config, FLAP_VENDORS[0]!);
      log(`${config.vendors.length} vendors; waiting out the collector's first window (${windowMs / 1000} s) and every vendor operational on both paths`);
      await waitFor(
        async () => {
          const body = await getJson<{ ready: boolean; vendors: { state: string }[] }>(`${collectorUrl}/v1/vendors`);
          const operational = await prometheus.query('vendorwatch:vendor_state{state="operational"} == 1');
          return body.ready && body.vendors.every((v) => v.state === 'operational') && operational.length === config.vendors.length;
        },
        { what: `every vendor operational on both paths\n${collector.output().slice(-3000)}`, timeoutMs: windowMs + 90_000, everyMs: 500 },
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
            for (const a of alerts) {
              const key = `${identityOf(a.labels)} ${a.labels.via ?? ''} ${a.startsAt}`;
              if (!firstSeen.has(key)) firstSeen.set(key, { at, labels: a.labels });
            }
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
      const quietMs = windowMs + 2000;
      const trialsStart = Date.now();
      for (const { kind, vendor } of schedule(plan)) {
        const t = await runTrial(src, kind, vendor, intervalMs, quietMs);
        trials.push(t);
        log(`${vendor} (${kind}): ${brief(t)}`);
      }
      const trialsEnd = Date.now();

      const settleMs = windowMs + 2000;
      log(`flapping: ${FLAPPING_PROBE} fails every other run of ${FLAP_VENDORS.join(' and ')} for ${plan.flapSeconds} s, then ${settleMs / 1000} s to settle`);
      const changesBefore = await collectorStateChanges(collectorUrl);
      const flapStart = Date.now();
      target.flapping = { probe: FLAPPING_PROBE, runs: new Map(FLAP_VENDORS.map((v) => [v, 0])), failed: 0 };
      await src.alertmanager.watch(plan.flapSeconds * 1000);
      const flapped = target.flapping;
      target.flapping = undefined;
      await src.alertmanager.watch(settleMs);
      const flapEnd = Date.now();
      const stateChanges: Record<Path, number> = {
        collector: (await collectorStateChanges(collectorUrl)) - changesBefore,
        prometheus: await prometheusStateChanges(prometheus, Math.ceil((flapEnd - flapStart) / 1000)),
      };

      const notifications = notificationsOf(sink.received('/alertmanager'));
      const seen = [...firstSeen.values()];
      const [collectorVersion, prometheusVersion, alertmanagerVersion] = await Promise.all([
        vendorwatchVersion(),
        toolVersion('prometheus', /prometheus, version \S+/),
        toolVersion('prometheus-alertmanager', /alertmanager, version \S+/),
      ]);

      // Alerts nobody should get: anything but an outage trial's vendor's, from its fault on.
      const expected = (l: Labels, at: number) => trials.some((t) => shouldPage(t.kind) && isAbout(l, t.vendor) && at >= t.t0);
      const during = { trials: [trialsStart, trialsEnd], flapping: [flapStart, flapEnd] } as const;
      const unexpected = <T extends { at: number; labels: Labels }>(list: T[], path: Path, run: keyof typeof during, kind: (l: Labels) => boolean) =>
        list.filter((x) => pathOf(x.labels) === path && kind(x.labels) && x.at >= during[run][0] && x.at <= during[run][1] && !expected(x.labels, x.at));
      const fired = notifications.filter((n) => n.status === 'firing');
      const isVendorAlert = (l: Labels) => l.vendor !== undefined;
      const isProbeAlert = (l: Labels) => l.probe !== undefined;
      const falseAlertRows = PATHS.flatMap((path) =>
        (['flapping', 'trials'] as const).map((run) => [
          run === 'flapping'
            ? `one flapping probe, ${plan.flapSeconds} s + ${settleMs / 1000} s to settle`
            : `all trials (${Math.round((trialsEnd - trialsStart) / 1000)} s)`,
          path,
          String(unexpected(fired, path, run, isVendorAlert).length),
          String(unexpected(fired, path, run, (l) => isVendorAlert(l) && isPage(l)).length),
          String(unexpected(seen, path, run, isVendorAlert).length),
          String(unexpected(fired, path, run, isProbeAlert).length),
          String(unexpected(seen, path, run, isProbeAlert).length),
          run === 'flapping' ? String(stateChanges[path]) : '–',
        ]),
      );

      const results: Results = {
        trials,
        about: (t, path) => notifications.filter((n) => pathOf(n.labels) === path && isAbout(n.labels, t.vendor) && n.at >= t.t0),
        falsePages: (kind, path) =>
          fired.filter((n) => {
            if (pathOf(n.labels) !== path || !isPage(n.labels) || expected(n.labels, n.at)) return false;
            return trials.some((t) => t.kind === kind && (isAbout(n.labels, t.vendor) || (n.at >= t.t0 && n.at <= t.end)));
          }).length,
      };
      const i = intervalMs / 1000;
      const pushAndEvaluate = (config.probe.push_interval + config.collector.evaluate_every) / 1000;

      return {
        method: [
          `Fleet: ${PROBES.length} \`vendorwatch probe\` processes (${PROBES.map(([id, region]) => `${id} in ${region}`).join(', ')}): two in each of three regions and one alone in the thin region ${THIN_REGION}. They push to one \`vendorwatch collector\` process; a real Alertmanager receives the collector's alerts (\`alerts.alertmanager.url\`) and Prometheus's. Config: every default (consensus window W = 3 × interval, min_probes 2, strict majority, confirm ½ × interval; push_interval ${config.probe.push_interval / 1000} s; evaluate_every ${config.collector.evaluate_every / 1000} s) but where things listen; one http check per vendor, every ${i} s with timeout ${i} s; the thin trials' checks take \`consensus: { min_probes: 1 }\`.`,
          `Prometheus path: a real Prometheus scrapes the same ${PROBES.length} probes' \`/metrics\` and evaluates the rules \`vendorwatch rules\` prints for the same config, scrape_interval and evaluation_interval ${PROMETHEUS_INTERVAL_S} s, and alerts the same Alertmanager; its alerts carry the external label \`via="prometheus"\`, which is how they are told apart.`,
          "Target: an HTTP server in the benchmark process, one path per vendor, answering per probe (read from the probes' User-Agent): HTTP 503 to the probes of a failing region, else 200.",
          `Trials, each on a vendor of its own (so the collector's flapping rule, which holds the pages of a vendor with several incidents in ${config.collector.flapping.window / 1000} s, does not join them): simultaneous (every region fails at once: hard_down), spreading (eu, then us one interval later, then ap: regional_outage, then hard_down; one incident), thin outage (only ${THIN_PROBE}, alone in ${THIN_REGION}, fails, and keeps failing: regional_outage on one probe's evidence, which must wait for confirmation), thin blip (${THIN_PROBE} fails one run, then passes: nothing may page; watched for W + 2 s). ${KINDS.map((k) => `${plan.trials[k]} ${k}`).join(', ')}, interleaved kind by kind. Before the fault, and again before the recovery, a random wait uniform in [0, interval), so both land at a random phase of the probes' check schedules. An outage stays on until every stage below has seen its page (and its last region has failed), then every region recovers at once, until every stage has seen every alert about the vendor go.`,
          "Counting is by labels every commit has, never by alertname (older commits name their alerts differently): an alert is about a vendor when its `vendor` label says so, a page when its `severity` is page, and its identity is its label set without `via`. Notifications are the alerts in Alertmanager's webhook posts, firing and resolved; pages are the firing ones of severity page.",
          `Stages, each polled every ${POLL_MS} ms (the time is when the answer arrived): evaluator (collector: \`GET /v1/vendors\` says hard_down or regional_outage, then operational; Prometheus: \`GET /api/v1/alerts\` has a page about the vendor firing, then no alert about it); Alertmanager API (\`GET /api/v2/alerts\`, active alerts only: a page about the vendor from that path listed, then none about it); notification (the webhook post of the first page; then the all-clear, the resolved notification after which every alert about the vendor that fired has resolved; at its arrival in the benchmark's sink, so not limited by polling). Every resolve must hold for ${RESOLVED_HOLD_MS / 1000} s, timed from its start.`,
          "Alertmanager route: group_by ['...'], group_wait 0s, group_interval 1s, so every notification is one message to a person and goes out at once (its defaults, group_wait 30s and group_interval 5m, would delay first and resolved notifications equally for both paths).",
          `False alerts: after the trials, probe ${FLAPPING_PROBE} fails every other run (alternating, per check) of the checks of two healthy vendors (${FLAP_VENDORS.join(', ')}) for ${plan.flapSeconds} s — a probe whose own network is flaky fails whatever it checks, and two vendors let the probe-health rule (unhealthy_vendors: 2) see it. Counted over that run and a settle time of W + 2 s, and over all trials: notifications and distinct alerts in the API about any vendor but an outage trial's own from its fault on (so a blip's count here too), probe alerts (ProbeUnhealthy is legitimate, severity ticket), and the flapping vendors' state changes (collector: \`vendorwatch_vendor_state_changes_total\`; Prometheus: \`changes()\` of \`vendorwatch:vendor_state{state="operational"}\`).`,
        ],
        tables: [
          {
            heading: 'Contenders',
            table: {
              columns: ['path', 'version', 'what runs'],
              rows: [
                ['collector', collectorVersion, `vendorwatch probe × ${PROBES.length} → POST /v1/results → vendorwatch collector → POST /api/v2/alerts`],
                [
                  'prometheus',
                  prometheusVersion,
                  `scrapes the probes' /metrics every ${PROMETHEUS_INTERVAL_S} s, rules from \`vendorwatch rules\` evaluated every ${PROMETHEUS_INTERVAL_S} s → Alertmanager`,
                ],
                ['(both)', alertmanagerVersion, 'Alertmanager receiving both paths; webhook notifications to the benchmark'],
              ],
            },
          },
          { heading: 'Notifications per incident (min–max over trials)', table: countsTable(results) },
          {
            heading: 'Time to detect and to resolve (s): fault → first page notification, recovery → all-clear notification',
            table: timesTable(results, {
              collector: (kind) =>
                kind === 'thin outage'
                  ? `≤ ${sec(2 * i + pushAndEvaluate)} (2 × I + push_interval + evaluate_every)`
                  : `≤ ${sec(i + pushAndEvaluate)} (I + push_interval + evaluate_every)`,
              prometheus: (kind) =>
                kind === 'thin outage'
                  ? `≤ ${sec(2.5 * i + 3 * PROMETHEUS_INTERVAL_S)} (I + 1.5 × I confirm + scrape + 2 × evaluation)`
                  : `≤ ${sec(i + 3 * PROMETHEUS_INTERVAL_S)} (I + scrape + 2 × evaluation)`,
            }),
          },
          { heading: 'Where the time goes (median s, max in parentheses)', table: stagesTable(results) },
          {
            heading: `False alerts (${FLAPPING_PROBE} failed ${flapped.failed} of its ${[...flapped.runs.values()].reduce((a, b) => a + b, 0)} runs of the flapping vendors' checks)`,
            table: {
              columns: [
                'run',
                'path',
                'vendor notifications',
                'of them pages',
                'vendor alerts in the API',
                'probe notifications',
                'probe alerts in the API',
                'vendor state changes',
              ],
              rows: falseAlertRows,
            },
          },
        ],
        notes: [
          'One incident should make one page and, when it ends, one resolved notification: 2 notifications and 1 alert identity per incident. More identities mean the path split the incident into several alerts (a person gets each as a new page, and a silence or an inhibition made for one misses the others).',
          'False pages: pages about a vendor that should page nobody (a thin blip; the flapping vendors; a trial vendor before its fault), and for the outage kinds, any such page that arrived during their trials.',
          `Expected bound, collector: every probe's next run starts within one interval I of the fault; its result waits for the next push (push_interval); the collector evaluates within 0.25 s of a push (evaluate_every at the latest). So ≤ I + push_interval + evaluate_every. A thin verdict (one failing probe) counts only once a later failing run started confirm = ½ × I after the first: the next run, one interval later. The window W is not on this path while all probes report; the collector judges nothing for one window after it starts (readyAt), which the benchmark waits out.`,
          "Expected bound, Prometheus: I + scrape_interval (the last failing result reaches Prometheus) + 2 × evaluation_interval (the consensus group, then the vendor's alert group, evaluated apart); a thin failing quorum counts once it has held for 1.5 × I (confirm rounded up to whole intervals, plus half an interval).",
          "Spreading: times are from the first region's fault; that region alone is a regional outage, which pages.",
          "Resolve: with two probes per region and a strict majority, a region passes again only when both its probes pass (the hysteresis), so recovery waits for the slowest probe's next run.",
          `The evaluator and Alertmanager API stages are polled (every ${POLL_MS} ms, each answer stamped when it arrived), so on a busy machine one stage's answer can come in after the next stage's; notifications are stamped exactly, on arrival at the sink.`,
          'The machine is shared and its load varies; the bounds hold regardless, the spread below them is mostly the random phase.',
        ],
      };
    }),
};

// --- reading the results ---

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

function notificationsOf(received: { at: number; body: unknown }[]): Notification[] {
  return received.flatMap(({ at, body }) =>
    (body as { alerts: { status: Notification['status']; labels: Labels }[] }).alerts.map((a) => ({ at, status: a.status, labels: a.labels })),
  );
}

async function collectorStateChanges(collectorUrl: string): Promise<number> {
  const samples = await scrape(collectorUrl);
  return FLAP_VENDORS.reduce((n, vendor) => n + sum(samples, 'vendorwatch_vendor_state_changes_total', { vendor }), 0);
}

async function prometheusStateChanges(prometheus: Prometheus, seconds: number): Promise<number> {
  const r = await prometheus.query(`sum(changes(vendorwatch:vendor_state{state="operational",vendor=~"${FLAP_VENDORS.join('|')}"}[${seconds}s]))`);
  return Number(r[0]?.value[1] ?? 0);
}

function windowOf(config: Config, vendor: string): number {
  const check = config.checks.find((c) => c.vendor === vendor)!;
  return config.effective.checks[check.name]!.window;
}

interface Results {
  trials: Trial[];
  /** Every notification about the trial's vendor on the path from its fault on, firing and resolved, in order. */
  about: (t: Trial, path: Path) => Notification[];
  /** Pages nobody should get, in or about the trials of a kind (see the notes). */
  falsePages: (kind: Kind, path: Path) => number;
}

const sec = (v: number) => v.toFixed(2);
const brief = (t: Trial) =>
  shouldPage(t.kind)
    ? PATHS.map(
        (p) =>
          `${p} ${t.detect[p].notification === undefined ? 'missed' : `${sec(t.detect[p].notification)} s`} / ${t.resolve[p].notification === undefined ? 'missed' : `${sec(t.resolve[p].notification)} s`}`,
      ).join(', ')
    : 'blip done';

function summary(values: number[]): { median: string; range: string; max: string } {
  if (!values.length) return { median: '–', range: '–', max: '–' };
  const s = spread(values);
  return { median: sec(s.median), range: `${sec(s.p10)}–${sec(s.p90)}`, max: sec(Math.max(...values)) };
}

/** "1", or "1–3" when trials differ. */
function counts(values: number[]): string {
  if (!values.length) return '–';
  const [lo, hi] = [Math.min(...values), Math.max(...values)];
  return lo === hi ? String(lo) : `${lo}–${hi}`;
}

/** "VendorOutage (page)", or with every other label: "VendorRegionalOutage (page; regions=eu, state=regional_outage)". */
function identityText(labels: Labels): string {
  const rest = Object.entries(labels)
    .filter(([k]) => !['alertname', 'vendor', 'severity', 'via'].includes(k))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`);
  return `${labels.alertname ?? '?'} (${[labels.severity ?? 'no severity', ...rest].join('; ')})`;
}

const trialsOf = (r: Results, kind: Kind) => r.trials.filter((t) => t.kind === kind);

function countsTable(r: Results): Table {
  const rows = KINDS.filter((kind) => trialsOf(r, kind).length).flatMap((kind) =>
    PATHS.map((path) => {
      const trials = trialsOf(r, kind);
      const about = trials.map((t) => r.about(t, path));
      const identities = about.map((ns) => new Set(ns.map((n) => identityOf(n.labels))));
      // Which identities showed up, and in how many trials.
      const seen = new Map<string, number>();
      for (const ns of about) for (const text of new Set(ns.map((n) => identityText(n.labels)))) seen.set(text, (seen.get(text) ?? 0) + 1);
      return [
        kind,
        path,
        String(trials.length),
        counts(about.map((ns) => ns.length)),
        counts(about.map((ns) => ns.filter((n) => n.status === 'firing' && isPage(n.labels)).length)),
        counts(identities.map((s) => s.size)),
        [...seen].map(([text, n]) => `${text} ${n}/${trials.length}`).join(', ') || 'none',
        String(r.falsePages(kind, path)),
      ];
    }),
  );
  return {
    columns: [
      'trial',
      'path',
      'trials',
      'notifications per incident (firing + resolved)',
      'pages per incident',
      'alert identities per incident',
      'alerts seen (in how many trials)',
      'false pages',
    ],
    rows,
  };
}

function timesTable(r: Results, bounds: Record<Path, (kind: Kind) => string>): Table {
  const rows = KINDS.filter((kind) => shouldPage(kind) && trialsOf(r, kind).length).flatMap((kind) =>
    PATHS.map((path) => {
      const trials = trialsOf(r, kind);
      const d = summary(trials.flatMap((t) => t.detect[path].notification ?? []));
      const s = summary(trials.flatMap((t) => t.resolve[path].notification ?? []));
      const missed = trials.filter((t) => t.detect[path].notification === undefined || t.resolve[path].notification === undefined).length;
      return [kind, path, String(trials.length), d.median, d.range, d.max, s.median, s.range, s.max, bounds[path](kind), String(missed)];
    }),
  );
  return {
    columns: [
      'trial',
      'path',
      'trials',
      'detect median',
      'detect p10–p90',
      'detect max',
      'resolve median',
      'resolve p10–p90',
      'resolve max',
      'expected detect bound (config)',
      'missed',
    ],
    rows,
  };
}

function stagesTable(r: Results): Table {
  const cell = (values: number[]) => (values.length ? `${sec(spread(values).median)} (${sec(Math.max(...values))})` : '–');
  const names = { evaluator: 'evaluator', alertmanager: 'Alertmanager API', notification: 'first page' };
  const rows = KINDS.filter((kind) => shouldPage(kind) && trialsOf(r, kind).length).flatMap((kind) =>
    PATHS.map((path) => {
      const stages = (phase: 'detect' | 'resolve') => STAGES.map((stage) => cell(trialsOf(r, kind).flatMap((t) => t[phase][path][stage] ?? [])));
      return [kind, path, ...stages('detect'), ...stages('resolve')];
    }),
  );
  return {
    columns: [
      'trial',
      'path',
      ...STAGES.map((s) => `detect: ${names[s]}`),
      ...STAGES.map((s) => `resolve: ${s === 'notification' ? 'all-clear notification' : names[s]}`),
    ],
    rows,
  };
}
