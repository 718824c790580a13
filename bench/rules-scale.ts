/**
 * The rules path at scale, beside the collector: how large a fleet one Prometheus evaluating
 * `vendorwatch rules` takes, and how large one collector takes, at the same sizes.
 *   - Rules: a simulated fleet (bench/fleet.ts, its scenario of trouble) remote-writes its votes
 *     into a real Prometheus (bench/remote-write-fleet.ts; --web.enable-remote-write-receiver,
 *     pinned to one CPU) that evaluates the rules `vendorwatch rules` prints for the fleet's config
 *     and sends alerts to a real Alertmanager. Measured per size: rule group evaluation time (from
 *     /api/v1/rules), head series, Prometheus memory and CPU, the vendor states reached, and the
 *     seconds from a fault (one operational vendor's delivery checks failing everywhere) to its
 *     VendorOutage in Alertmanager.
 *   - Collector: a `vendorwatch collector` process on the same CPU takes the same fleet's results
 *     at the fleet's own pace (bench/push-load.ts): whether it keeps up, push latency, CPU, memory
 *     and its evaluation time.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { prometheusRulesYaml } from '../agent/prometheusRules.ts';
import { parseConfig } from '../config/load.ts';
import { startAlertmanager, startSink } from '../test/support/alertmanager.ts';
import { freePort, start, tempDir, waitFor } from '../test/support/processes.ts';
import { parseExposition } from './blackbox-exporter.ts';
import { startCollectorProcess, TOKEN } from './consensus.ts';
import { Fleet, INTERVAL_SECONDS, type FleetSize } from './fleet.ts';
import { processUsage, quantile, withStops } from './measure.ts';
import { startPushLoad } from './push-load.ts';
import { startFleetWriter, type WriteReport } from './remote-write-fleet.ts';
import { failures, type Benchmark, type Table } from './report.ts';

const SERVER_CPU = 1;
const LOAD_CPU = 0;
/** The vendor the fault hits: operational in the fleet's scenario. */
const FAULTED_VENDOR = 'vendor-001';

interface Plan {
  sizes: FleetSize[];
  /** Seconds of write interval (the probes' check interval): real fleets at the default 30 s. */
  intervalSeconds: number;
  evaluationSeconds: number;
  /** How long evaluations are watched once every vendor has a state. */
  measureSeconds: number;
  /** The collector: paced pushes until its warm-up is over, then measured. */
  collectorWarmupSeconds: number;
  collectorSeconds: number;
}

const size = (probes: number, checks: number): FleetSize => ({ regions: 5, probesPerRegion: probes / 5, vendors: checks / 10, checksPerVendor: 10 });

function plan(quick: boolean): Plan {
  return quick
    ? {
        sizes: [{ regions: 2, probesPerRegion: 2, vendors: 5, checksPerVendor: 10 }],
        intervalSeconds: 2,
        evaluationSeconds: 1,
        measureSeconds: 3,
        collectorWarmupSeconds: 4,
        collectorSeconds: 2,
      }
    : {
        sizes: [size(100, 1000), size(300, 1000), size(300, 3000)],
        intervalSeconds: INTERVAL_SECONDS,
        evaluationSeconds: 10,
        measureSeconds: 45,
        collectorWarmupSeconds: INTERVAL_SECONDS + 5,
        collectorSeconds: 20,
      };
}

// --- Prometheus evaluating the rules ---

interface RulesRun {
  fleet: Fleet;
  /** Per evaluation of the consensus group, and of all groups of one round, in ms. */
  consensusMs: number[];
  /** Per rule of the consensus group (by position: several rules record the same series), in ms per evaluation. */
  consensusRuleMs: { name: string; ms: number[] }[];
  allGroupsMs: number[];
  missedIterations: number;
  headSeries: number;
  rssBytes: number;
  peakRssBytes: number;
  /** CPU seconds per second over the measured stretch. */
  cpuShare: number;
  states: Map<string, number>;
  /** Seconds from the fault to VendorOutage in Alertmanager; undefined when it did not come. */
  faultToAlertSeconds: number | undefined;
  writes: WriteReport;
  /** Seconds from the first write until every vendor was judged; undefined when that never happened. */
  secondsToStates: number | undefined;
}

interface RuleGroupStatus {
  name: string;
  evaluationTime: number;
  lastEvaluation: string;
  rules: { name: string; evaluationTime: number }[];
}

async function ruleGroups(url: string): Promise<RuleGroupStatus[]> {
  const body = (await (await fetch(`${url}/api/v1/rules`)).json()) as { data: { groups: RuleGroupStatus[] } };
  return body.data.groups;
}

async function query(url: string, expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const body = (await (await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`)).json()) as {
    data: { result: { metric: Record<string, string>; value: [number, string] }[] };
  };
  return body.data.result;
}

async function vendorStatesIn(url: string): Promise<Map<string, number>> {
  const states = new Map<string, number>();
  for (const s of await query(url, 'vendorwatch:vendor_state == 1')) states.set(s.metric.state!, (states.get(s.metric.state!) ?? 0) + 1);
  return states;
}

async function runRules(size: FleetSize, p: Plan, log: (line: string) => void): Promise<RulesRun> {
  const fleet = new Fleet(size);
  return withStops(async (onStop) => {
    const dir = tempDir('vendorwatch-bench-rules-scale-');
    const configFile = join(dir, 'vendorwatch.yaml');
    const configYaml = fleet.configYaml({ token: TOKEN, journal: join(dir, 'journal.jsonl') });
    writeFileSync(configFile, configYaml);
    const rulesFile = join(dir, 'rules.yaml');
    writeFileSync(rulesFile, prometheusRulesYaml(parseConfig(configYaml, configFile, {}), configFile));
    // A fresh Alertmanager per size, so a page of the previous size cannot count.
    const sink = await startSink();
    onStop(() => sink.close());
    const alertmanager = await startAlertmanager(`${sink.url}/alerts`);
    onStop(async () => void (await alertmanager.stop()));
    writeFileSync(
      join(dir, 'prometheus.yml'),
      `global: { evaluation_interval: ${p.evaluationSeconds}s }
rule_files: [${JSON.stringify(rulesFile)}]
alerting: { alertmanagers: [{ static_configs: [{ targets: [${JSON.stringify(new URL(alertmanager.url).host)}] }] }] }
`,
    );
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    // taskset execs prometheus, so the pid is Prometheus's; Go sizes GOMAXPROCS to the one CPU.
    const prometheus = start('taskset', [
      '-c',
      String(SERVER_CPU),
      'prometheus',
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--web.enable-remote-write-receiver',
      '--log.level=warn',
    ]);
    onStop(async () => void (await prometheus.stop()));
    await waitFor(async () => (await fetch(`${url}/-/ready`)).ok, { timeoutMs: 60_000, what: `Prometheus ready\n${prometheus.output()}` });
    const pid = prometheus.child.pid!;

    log(`rules: ${fleet.label} writing every ${p.intervalSeconds} s`);
    const started = Date.now();
    const writer = await startFleetWriter(size, `${url}/api/v1/write`, p.intervalSeconds * 1000, LOAD_CPU);
    onStop(() => writer.close());
    // Every vendor judged (none unknown, as in the scenario) once a whole interval of votes is in; a Prometheus that cannot keep up never gets there.
    let secondsToStates: number | undefined;
    try {
      await waitFor(
        async () => {
          const states = await vendorStatesIn(url);
          return [...states.values()].reduce((a, b) => a + b, 0) === size.vendors && !states.has('unknown');
        },
        { timeoutMs: 3 * p.intervalSeconds * 1000 + 30_000, everyMs: 1000, what: `a state for every vendor in Prometheus (${fleet.label})` },
      );
      secondsToStates = (Date.now() - started) / 1000;
    } catch {
      log(`rules: ${fleet.label}: not every vendor judged in time`);
    }
    const states = await vendorStatesIn(url);

    log(`rules: ${fleet.label} measuring for ${p.measureSeconds} s`);
    const before = { usage: processUsage(pid), at: performance.now(), metrics: parseExposition(await (await fetch(`${url}/metrics`)).text()) };
    await writer.report();
    // Each group's evaluations, once each (keyed by when they ran), polled well inside the interval.
    const evaluations = new Map<string, RuleGroupStatus>();
    const until = Date.now() + p.measureSeconds * 1000;
    while (Date.now() < until) {
      for (const g of await ruleGroups(url)) evaluations.set(`${g.name}@${g.lastEvaluation}`, g);
      await sleep(Math.min(2000, p.evaluationSeconds * 500));
    }
    const after = { usage: processUsage(pid), at: performance.now(), metrics: parseExposition(await (await fetch(`${url}/metrics`)).text()) };
    const writes = await writer.report();
    const evaluated = [...evaluations.values()];
    const consensus = evaluated.filter((g) => g.name === 'vendorwatch-consensus');
    const consensusMs = consensus.map((g) => g.evaluationTime * 1000);
    const consensusRuleMs = (consensus[0]?.rules ?? []).map((rule, i) => ({
      name: rule.name,
      ms: consensus.map((g) => (g.rules[i]?.evaluationTime ?? 0) * 1000),
    }));
    // A round: the groups evaluated within half an interval of a consensus evaluation (each group runs on its own timer).
    const allGroupsMs = consensus.map(({ lastEvaluation }) =>
      evaluated
        .filter((g) => Math.abs(Date.parse(g.lastEvaluation) - Date.parse(lastEvaluation)) < p.evaluationSeconds * 500)
        .reduce((n, g) => n + g.evaluationTime * 1000, 0),
    );
    const sum = (m: Map<string, number>, prefix: string) => [...m].filter(([k]) => k.startsWith(prefix)).reduce((n, [, v]) => n + v, 0);

    log(`rules: ${fleet.label} fault: ${FAULTED_VENDOR}'s delivery checks fail everywhere`);
    const faultAt = Date.now();
    writer.fault(FAULTED_VENDOR);
    let faultToAlertSeconds: number | undefined;
    try {
      await waitFor(
        async () =>
          (await alertmanager.alerts()).some((a) => a.labels.alertname === 'VendorOutage' && a.labels.vendor === FAULTED_VENDOR && a.status.state === 'active'),
        { timeoutMs: 3 * p.intervalSeconds * 1000 + 30_000, everyMs: 250, what: 'the VendorOutage' },
      );
      faultToAlertSeconds = (Date.now() - faultAt) / 1000;
    } catch {
      faultToAlertSeconds = undefined;
    }
    return {
      fleet,
      consensusMs,
      consensusRuleMs,
      allGroupsMs,
      missedIterations: sum(after.metrics, 'prometheus_rule_group_iterations_missed_total'),
      headSeries: after.metrics.get('prometheus_tsdb_head_series') ?? Number.NaN,
      rssBytes: after.usage.rssBytes,
      peakRssBytes: after.usage.peakRssBytes,
      cpuShare: (after.usage.cpuSeconds - before.usage.cpuSeconds) / ((after.at - before.at) / 1000),
      states,
      faultToAlertSeconds,
      writes,
      secondsToStates,
    };
  });
}

// --- The collector at the same sizes ---

interface CollectorRun {
  fleet: Fleet;
  offered: number;
  sent: number;
  accepted: number;
  latenciesMs: number[];
  failed: number;
  firstFailure?: string;
  cpuShare: number;
  peakRssBytes: number;
  evaluationMeanMs: number;
  states: Map<string, number>;
}

const EVALUATION_METRIC = 'vendorwatch_consensus_evaluation_duration_seconds';

async function runCollector(size: FleetSize, p: Plan, log: (line: string) => void): Promise<CollectorRun> {
  const fleet = new Fleet(size);
  return withStops(async (onStop) => {
    const collector = await startCollectorProcess(fleet, undefined, SERVER_CPU, onStop);
    const load = await startPushLoad(size, LOAD_CPU);
    onStop(() => load.close());
    const job = (seconds: number) => ({
      url: collector.url,
      token: TOKEN,
      batch: Math.ceil(fleet.checks.length / INTERVAL_SECONDS),
      connections: fleet.probes.length,
      seconds,
      rate: (fleet.probes.length * fleet.checks.length) / p.intervalSeconds,
    });
    log(`collector: ${fleet.label} at ${Math.round(job(0).rate).toLocaleString('en')} results/s, ${p.collectorWarmupSeconds} s of warm-up`);
    await load.run(job(p.collectorWarmupSeconds));
    const before = { usage: processUsage(collector.pid), metrics: await collector.metrics() };
    log(`collector: ${fleet.label} measuring for ${p.collectorSeconds} s`);
    const started = performance.now();
    const report = await load.run(job(p.collectorSeconds));
    const seconds = (performance.now() - started) / 1000;
    const after = { usage: processUsage(collector.pid), metrics: await collector.metrics() };
    const delta = (name: string) => (after.metrics.get(name) ?? 0) - (before.metrics.get(name) ?? 0);
    return {
      fleet,
      offered: job(0).rate,
      sent: report.sent,
      accepted: report.accepted,
      latenciesMs: report.latenciesMs,
      failed: report.failed,
      ...(report.firstFailure && { firstFailure: report.firstFailure }),
      cpuShare: (after.usage.cpuSeconds - before.usage.cpuSeconds) / seconds,
      peakRssBytes: after.usage.peakRssBytes,
      evaluationMeanMs: (delta(`${EVALUATION_METRIC}_sum`) / delta(`${EVALUATION_METRIC}_count`)) * 1000,
      states: await collector.vendorStates(),
    };
  });
}

// --- Tables ---

const count = (v: number) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en') : '–');
const ms = (v: number) => (!Number.isFinite(v) ? '–' : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);
const percent = (v: number) => `${(v * 100).toFixed(0)} %`;
const at = (values: readonly number[], q: number) =>
  quantile(
    [...values].sort((a, b) => a - b),
    q,
  );
/** CPU time per 1,000 results taken: what a server's core costs per result, whatever share of it other work left. */
const cpuPerThousand = (cpuShare: number, resultsPerSecond: number) => (cpuShare / resultsPerSecond) * 1000 * 1000;
const stateLine = (states: Map<string, number>) =>
  [...states]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([s, n]) => `${s} ${n}`)
    .join(', ');

function rulesTable(runs: readonly RulesRun[], p: Plan): Table {
  return {
    columns: [
      'probes × checks',
      'results/s written',
      'head series',
      'consensus group ms (median)',
      'p90',
      'all groups ms (median)',
      'of the evaluation interval',
      'missed evaluations',
      'Prometheus CPU (share of its core)',
      'CPU ms per 1,000 results',
      'RSS MB (peak)',
      'fault → page s',
      'writes failed',
      'sends late',
    ],
    rows: runs.map((r) => [
      r.fleet.label,
      count((r.fleet.probes.length * r.fleet.checks.length) / p.intervalSeconds),
      count(r.headSeries),
      ms(at(r.consensusMs, 0.5)),
      ms(at(r.consensusMs, 0.9)),
      ms(at(r.allGroupsMs, 0.5)),
      percent(at(r.allGroupsMs, 0.5) / (p.evaluationSeconds * 1000)),
      count(r.missedIterations),
      percent(r.cpuShare),
      ms(cpuPerThousand(r.cpuShare, (r.fleet.probes.length * r.fleet.checks.length) / p.intervalSeconds)),
      `${mb(r.rssBytes)} (${mb(r.peakRssBytes)})`,
      r.faultToAlertSeconds === undefined ? 'no page' : r.faultToAlertSeconds.toFixed(1),
      failures(r.writes.failed, r.writes.requests, r.writes.firstFailure),
      String(r.writes.late),
    ]),
  };
}

/** Where the consensus group's time goes: each rule's median, per size. */
function consensusRulesTable(runs: readonly RulesRun[]): Table {
  const rules = runs[0]?.consensusRuleMs ?? [];
  return {
    columns: ['consensus rule (in order)', ...runs.map((r) => `${r.fleet.label} ms`)],
    rows: rules.map((rule, i) => [rule.name, ...runs.map((r) => ms(at(r.consensusRuleMs[i]?.ms ?? [], 0.5)))]),
  };
}

function collectorTable(runs: readonly CollectorRun[]): Table {
  return {
    columns: [
      'probes × checks',
      'offered results/s',
      'accepted results/s',
      'accepted / sent',
      'push p50 ms',
      'push p99 ms',
      'CPU (share of its core)',
      'CPU ms per 1,000 results',
      'evaluation mean ms',
      'RSS MB (peak)',
      'failed',
      'keeps up',
    ],
    rows: runs.map((r) => {
      const keepsUp = r.failed === 0 && r.accepted >= 0.99 * r.sent && at(r.latenciesMs, 0.99) < 1000;
      return [
        r.fleet.label,
        count(r.offered),
        count((r.accepted / r.sent) * r.offered),
        percent(r.accepted / r.sent),
        ms(at(r.latenciesMs, 0.5)),
        ms(at(r.latenciesMs, 0.99)),
        percent(r.cpuShare),
        ms(cpuPerThousand(r.cpuShare, (r.accepted / r.sent) * r.offered)),
        ms(r.evaluationMeanMs),
        mb(r.peakRssBytes),
        failures(r.failed, r.sent, r.firstFailure),
        keepsUp ? 'yes' : 'no',
      ];
    }),
  };
}

function statesTable(rules: readonly RulesRun[], collectors: readonly CollectorRun[]): Table {
  return {
    columns: ['probes × checks', 'vendor states, rules (Prometheus)', 'vendor states, collector', 'rules: seconds until every vendor had a state'],
    rows: rules.map((r, i) => [
      r.fleet.label,
      stateLine(r.states),
      stateLine(collectors[i]!.states),
      r.secondsToStates === undefined ? 'never' : r.secondsToStates.toFixed(0),
    ]),
  };
}

// --- The benchmark ---

export const rulesScaleBenchmark: Benchmark = {
  name: 'rules-scale',
  title: 'The rules path at scale: Prometheus evaluating `vendorwatch rules` on remote-written votes, beside the collector',
  run: ({ quick, log }) =>
    (async () => {
      const p = plan(quick);
      const rules: RulesRun[] = [];
      const collectors: CollectorRun[] = [];
      for (const s of p.sizes) {
        rules.push(await runRules(s, p, log));
        collectors.push(await runCollector(s, p, log));
      }
      return {
        method: [
          `Fleets (bench/fleet.ts): 5 regions of probes, vendors of 10 checks each (6 delivery, 2 performance, 1 control, 1 telemetry) and the same scenario of trouble as the consensus benchmark, at ${p.sizes.map((s) => new Fleet(s).label).join(', ')} (probes × checks); check interval ${p.intervalSeconds} s, consensus window ${3 * p.intervalSeconds} s, min_probes 2.`,
          `Rules path: \`prometheus\` 2.42 (Debian) with \`--web.enable-remote-write-receiver\`, \`taskset -c ${SERVER_CPU}\` (one core; Go sizes GOMAXPROCS to it), a fresh TSDB per size, evaluating the rules \`vendorwatch rules\` prints for the fleet's config every ${p.evaluationSeconds} s and sending alerts to a real Alertmanager. bench/remote-write-fleet.ts (\`taskset -c ${LOAD_CPU}\`) is the fleet: every probe remote-writes, once per interval and spread evenly over it, one sample of \`vendorwatch_check_success\` and one of \`vendorwatch_check_degraded\` per check (what \`probe.remote_write\` with \`metrics: [vendorwatch_check_success, vendorwatch_check_degraded]\` sends; the families the consensus rules read), in requests of 2,000 samples, 16 connections. Results/s written counts (probe, check) pairs per second; samples/s are twice that.`,
          `Per size: write until every vendor has a state in \`vendorwatch:vendor_state\`, then watch ${p.measureSeconds} s: each rule group's \`evaluationTime\` from /api/v1/rules (the consensus group, and all groups of a round summed), \`prometheus_tsdb_head_series\` and \`prometheus_rule_group_iterations_missed_total\` from its /metrics, its CPU (user + system, /proc) and resident memory (VmRSS, peak VmHWM). Then ${FAULTED_VENDOR} (operational) has its delivery checks fail at every probe from each probe's next write on: fault → page is the seconds until Alertmanager holds its VendorOutage. Sends late counts a probe's write that was due while its previous one was still in flight.`,
          `Collector path, same sizes, same CPU: \`vendorwatch collector\` (\`taskset -c ${SERVER_CPU}\`) takes the fleet's results as the probes push them (bench/push-load.ts, \`taskset -c ${LOAD_CPU}\`, a connection per probe, each push one probe's results of one second), paced at the fleet's rate: ${p.collectorWarmupSeconds} s unrecorded (its warm-up), then ${p.collectorSeconds} s measured; latency counts from when a push was due, so a collector that falls behind shows it. It keeps up when it accepts ≥ 99 % of what was sent with no failed push and a push p99 under 1 s.`,
        ],
        tables: [
          { heading: 'Prometheus evaluating `vendorwatch rules` on remote-written votes (one core)', table: rulesTable(rules, p) },
          { heading: 'Where the consensus group spends its time (median per evaluation)', table: consensusRulesTable(rules) },
          { heading: 'The collector at the same sizes (one core)', table: collectorTable(collectors) },
          { heading: 'Vendor states reached', table: statesTable(rules, collectors) },
        ],
        notes: [
          'A real probe sends every family /metrics exposes unless `metrics` narrows it: the phase histogram alone is about 100 series per http check, fifty times the two gauges written here. Narrow it (and add `vendorwatch_check_runs_total` and `vendorwatch_check_duration_seconds` where SLO burn-rate rules or failure reasons are wanted) or the receiver stores that many more series.',
          'Fault → page includes up to one write interval (the faulted votes arrive as each probe writes next, spread over the interval; a region fails once a majority of its probes have written), one evaluation of the consensus group and one of the vendor group, and Alertmanager taking the alert.',
          'Both servers get one core (CPU 1) and the load generators the other, but the machine is shared: other work lands on either CPU. Read sizes against each other, not numbers across runs.',
        ],
      };
    })(),
};
