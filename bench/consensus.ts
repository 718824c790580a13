/**
 * Consensus at scale: how many results/s one collector ingests, and how long one evaluation of
 * consensus, vendor states and alerts takes, with 100 probes × 1,000 checks (bench/fleet.ts).
 *   - State evaluation, in process: the Collector class on a fake clock, every probe's latest
 *     vote of every check in the window, `evaluate()` timed again and again, at three fleet sizes.
 *   - Ingest: a real `vendorwatch collector` process takes pushes from a load generator
 *     (bench/push-load.ts), side by side with bare node:http servers that only parse, or parse
 *     and validate, the same bodies (bench/ceiling.ts): the ceiling. Servers share one CPU, the
 *     load generator has the other.
 *   - The collector's own evaluation-time histogram, read from its /metrics, cross-checks the
 *     in-process numbers under load and at rest.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { Collector } from '../agent/collector/collector.ts';
import { Ingest } from '../agent/collector/ingest.ts';
import { Journal } from '../agent/collector/journal.ts';
import { parseConfig } from '../config/load.ts';
import type { CheckResult } from '../config/result.ts';
import { CLI, freePort, start, tempDir, waitFor, type Running } from '../test/support/processes.ts';
import { parseExposition } from './blackbox-exporter.ts';
import { startCeiling, type Ceiling } from './ceiling.ts';
import { Fleet, INTERVAL_SECONDS, WINDOW_SECONDS, type FleetSize } from './fleet.ts';
import { pairedRatios, processUsage, quantile, rotated, spread, withStops } from './measure.ts';
import { startPushLoad, type LoadReport, type PushLoad } from './push-load.ts';
import { failures, range, type Benchmark, type Table } from './report.ts';

export const TOKEN = 'bench-consensus-token';
/** The collector's defaults: push_interval (probe) and evaluate_every (collector), in seconds. */
const PUSH_INTERVAL_SECONDS = 1;
const EVALUATE_EVERY_MS = 1000;
/** At most this often results arriving trigger an evaluation (MIN_GAP_MS in collector.ts). */
const EVALUATIONS_PER_SECOND_MAX = 4;
/** How long before the collector starts judging the first full cycle begins, so its votes are all fresh then. */
const FIRST_CYCLE_LEAD_SECONDS = 20;
/** Results in one probe push at most (BATCH_MAX_RESULTS in agent/probe/push.ts). */
const PUSH_BATCH_MAX = 500;

const fleets = {
  quick: { regions: 2, probesPerRegion: 3, vendors: 5, checksPerVendor: 10 },
  small: { regions: 2, probesPerRegion: 5, vendors: 10, checksPerVendor: 10 },
  main: { regions: 5, probesPerRegion: 20, vendors: 100, checksPerVendor: 10 },
  large: { regions: 5, probesPerRegion: 20, vendors: 300, checksPerVendor: 10 },
} satisfies Record<string, FleetSize>;

interface Plan {
  /** Fleets whose evaluation is timed in process, and how many evaluations each. */
  evaluation: { size: FleetSize; evaluations: number }[];
  /** The fleet pushed to the collector process. */
  ingest: FleetSize;
  /** Consensus window of the collector process: the default (3 × interval) unless set; it judges nothing for one window after its start. */
  window?: string;
  rounds: number;
  seconds: number;
  warmupSeconds: number;
  connections: number;
  pacedSeconds: number;
  /** Quiet time after the last full cycle, while the collector evaluates on its timer alone. */
  restSeconds: number;
}

function plan(quick: boolean): Plan {
  return quick
    ? {
        evaluation: [{ size: fleets.quick, evaluations: 5 }],
        ingest: fleets.quick,
        window: '5s',
        rounds: 1,
        seconds: 0.3,
        warmupSeconds: 0,
        connections: 4,
        pacedSeconds: 0.5,
        restSeconds: 2,
      }
    : {
        evaluation: [
          { size: fleets.small, evaluations: 50 },
          { size: fleets.main, evaluations: 30 },
          { size: fleets.large, evaluations: 12 },
        ],
        ingest: fleets.main,
        rounds: 3,
        seconds: 2,
        warmupSeconds: 1,
        connections: 8,
        pacedSeconds: 5,
        restSeconds: 10,
      };
}

/** Results one probe pushes at a time: its checks' results of one push interval. */
const probeBatch = (fleet: Fleet) => Math.ceil((fleet.checks.length / INTERVAL_SECONDS) * PUSH_INTERVAL_SECONDS);

// --- State evaluation, in process ---

interface EvaluationRun {
  fleet: Fleet;
  /** Results/s that Ingest.accept took (no HTTP, no JSON). */
  acceptRate: number;
  firstMs: number;
  /** Lines the first evaluation added to the journal (each one written and synced on its own). */
  firstJournalLines: number;
  /** Every timed evaluation after the first, in ms, with no result arriving between them. */
  steadyMs: number[];
  /** Evaluations with a quarter second of the fleet's results (its pace, in pushes of one probe's) taken before each: what one costs while results stream in. */
  streamingMs: number[];
  states: Map<string, number>;
  unhealthyProbes: number;
}

/**
 * Feeds every probe's result of every check through Ingest.accept, then evaluates once a
 * (fake) second. Synchronous from start to stop, so the evaluation Ingest asks for after the
 * results never runs between the timed ones.
 */
async function timeEvaluation(size: FleetSize, evaluations: number): Promise<EvaluationRun> {
  const fleet = new Fleet(size);
  const dir = tempDir('vendorwatch-bench-consensus-');
  const logger = pino({ level: 'silent' });
  const config = parseConfig(fleet.configYaml({ token: TOKEN, journal: join(dir, 'journal.jsonl') }), join(dir, 'vendorwatch.yaml'), {});
  let clock = Date.now();
  const collector = new Collector({ config, logger, journal: new Journal(config.collector.journal, logger), receivers: [] });
  const ingest = new Ingest(collector, { token: TOKEN, config: config.collector, logger });
  clock = collector.readyAt;
  try {
    let acceptSeconds = 0;
    for (const probe of fleet.probes) {
      const results: CheckResult[] = fleet.checks.map((check) => fleet.result(probe, check, clock - 150));
      const started = performance.now();
      const counts = ingest.accept(results, clock);
      acceptSeconds += (performance.now() - started) / 1000;
      if (counts.accepted !== results.length) throw new Error(`the collector took ${JSON.stringify(counts)} of ${results.length} results`);
    }
    const timed = () => {
      clock += EVALUATE_EVERY_MS;
      const started = performance.now();
      collector.evaluate(clock);
      return performance.now() - started;
    };
    const journalLines = () => readFileSync(config.collector.journal, 'utf8').split('\n').length - 1;
    const linesBefore = journalLines();
    const firstMs = timed();
    const firstJournalLines = journalLines() - linesBefore;
    const steadyMs = Array.from({ length: evaluations }, timed);
    // While results stream in, the collector evaluates at most every 250 ms: time those evaluations,
    // each after the quarter second of results the fleet sends meanwhile (Ingest.accept not timed).
    const perEvaluation = Math.round(fleet.steadyRate / EVALUATIONS_PER_SECOND_MAX);
    const batch = probeBatch(fleet);
    let sent = 0;
    const streamingMs = Array.from({ length: evaluations }, () => {
      for (let taken = 0; taken < perEvaluation; taken += batch) {
        const probe = fleet.probes[Math.floor(sent / fleet.checks.length) % fleet.probes.length]!;
        const results = Array.from({ length: batch }, (_, i) => fleet.result(probe, fleet.checks[(sent + i) % fleet.checks.length]!, clock - 100));
        sent += batch;
        ingest.accept(results, clock);
      }
      clock += 1000 / EVALUATIONS_PER_SECOND_MAX;
      const started = performance.now();
      collector.evaluate(clock);
      return performance.now() - started;
    });
    const states = new Map<string, number>();
    for (const { status } of collector.vendorStatuses()) states.set(status?.state ?? 'unknown', (states.get(status?.state ?? 'unknown') ?? 0) + 1);
    const unhealthyProbes = collector.probes().filter(([, p]) => p.health === 'unhealthy').length;
    return {
      fleet,
      acceptRate: (fleet.probes.length * fleet.checks.length) / acceptSeconds,
      firstMs,
      firstJournalLines,
      steadyMs,
      streamingMs,
      states,
      unhealthyProbes,
    };
  } finally {
    await collector.stop(0);
    rmSync(dir, { recursive: true, force: true });
  }
}

// --- The collector process and its ceilings ---

interface Server {
  name: string;
  url: string;
  pid: number;
}

export interface RunningCollector extends Server {
  startedAt: number;
  /** Lines in its journal so far. */
  journalLines(): number;
  metrics(): Promise<Map<string, number>>;
  vendorStates(): Promise<Map<string, number>>;
  unhealthyProbes(): Promise<number>;
}

export async function startCollectorProcess(
  fleet: Fleet,
  window: string | undefined,
  cpu: number,
  onStop: (stop: () => Promise<void>) => void,
): Promise<RunningCollector> {
  const dir = tempDir('vendorwatch-bench-collector-');
  const file = join(dir, 'vendorwatch.yaml');
  const journal = join(dir, 'journal.jsonl');
  writeFileSync(file, fleet.configYaml({ token: TOKEN, journal, window }));
  const listen = `127.0.0.1:${await freePort()}`;
  const url = `http://${listen}`;
  const startedAt = Date.now();
  // taskset execs node, so the pid is the collector's own.
  const proc: Running = start('taskset', ['-c', String(cpu), process.execPath, CLI, 'collector', '--config', file, '--listen', listen]);
  onStop(async () => {
    await proc.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  await waitFor(async () => (await fetch(`${url}/healthz`)).ok, { timeoutMs: 60_000, what: `the collector on ${url}\n${proc.output()}` });
  const json = async <T>(path: string) => (await (await fetch(`${url}${path}`)).json()) as T;
  return {
    name: 'vendorwatch collector',
    url,
    pid: proc.child.pid!,
    startedAt,
    journalLines: () => readFileSync(journal, 'utf8').split('\n').length - 1,
    metrics: async () => parseExposition(await (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(600_000) })).text()),
    vendorStates: async () => {
      const { vendors } = await json<{ vendors: { state: string }[] }>('/v1/vendors');
      const states = new Map<string, number>();
      for (const { state } of vendors) states.set(state, (states.get(state) ?? 0) + 1);
      return states;
    },
    unhealthyProbes: async () => (await json<{ probes: { health: string }[] }>('/v1/probes')).probes.filter((p) => p.health === 'unhealthy').length,
  };
}

const judgingFrom = (collector: RunningCollector, windowSeconds: number) => collector.startedAt + windowSeconds * 1000;

/**
 * Waits out the collector's first window (it gathers votes but judges nothing until then) and
 * its first evaluation, which journals every verdict; /metrics answers only once that is done.
 */
async function waitUntilJudging(collector: RunningCollector, windowSeconds: number): Promise<Map<string, number>> {
  await sleep(Math.max(0, judgingFrom(collector, windowSeconds) + 1000 - Date.now()));
  return waitFor(
    async () => {
      const metrics = await collector.metrics();
      return (metrics.get(`${EVALUATION_METRIC}_count`) ?? 0) >= 1 ? metrics : undefined;
    },
    { timeoutMs: 15 * 60_000, everyMs: 500, what: "the collector's first evaluation" },
  );
}

/** The evaluation-duration histogram between two scrapes: count, mean and the buckets holding p50 and p99. */
interface EvaluationHistogram {
  count: number;
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
}

const EVALUATION_METRIC = 'vendorwatch_consensus_evaluation_duration_seconds';

function histogramBetween(before: Map<string, number>, after: Map<string, number>): EvaluationHistogram {
  const delta = (series: string) => (after.get(series) ?? 0) - (before.get(series) ?? 0);
  const count = delta(`${EVALUATION_METRIC}_count`);
  const buckets = [...after.keys()]
    .map((series) => /_bucket\{le="([^"]+)"\}$/.exec(series.startsWith(EVALUATION_METRIC) ? series : '')?.[1])
    .filter((le): le is string => le !== undefined)
    .map((le) => ({ le: Number(le), count: delta(`${EVALUATION_METRIC}_bucket{le="${le}"}`) }))
    .sort((a, b) => a.le - b.le);
  // What a histogram can tell of a quantile: the upper bound of the bucket it lies in (+Inf past the last).
  const upTo = (q: number) => (buckets.find((b) => b.count >= q * count)?.le ?? Number.NaN) * 1000;
  return { count, meanMs: (delta(`${EVALUATION_METRIC}_sum`) / count) * 1000, p50Ms: upTo(0.5), p99Ms: upTo(0.99) };
}

// --- Ingest ---

interface IngestCell {
  server: Server;
  batch: number;
  rates: number[];
  latenciesMs: number[];
  pushes: number;
  failed: number;
  firstFailure?: string;
}

function tally(cell: Pick<IngestCell, 'latenciesMs' | 'pushes' | 'failed' | 'firstFailure'>, report: LoadReport): void {
  cell.latenciesMs.push(...report.latenciesMs);
  cell.pushes += report.pushes;
  cell.failed += report.failed;
  if (report.firstFailure) cell.firstFailure ??= report.firstFailure;
}

async function compareIngest(
  load: PushLoad,
  servers: readonly Server[],
  batches: readonly number[],
  p: Plan,
  log: (line: string) => void,
): Promise<IngestCell[]> {
  const cells = batches.flatMap((batch) => servers.map((server): IngestCell => ({ server, batch, rates: [], latenciesMs: [], pushes: 0, failed: 0 })));
  const box = (cell: IngestCell, seconds: number) => load.run({ url: cell.server.url, token: TOKEN, batch: cell.batch, connections: p.connections, seconds });
  for (const batch of batches) {
    const row = cells.filter((c) => c.batch === batch);
    if (p.warmupSeconds) for (const cell of row) await box(cell, p.warmupSeconds);
    for (let round = 0; round < p.rounds; round++) {
      log(`ingest: batches of ${batch}, round ${round + 1} of ${p.rounds}`);
      for (const cell of rotated(row, round)) {
        const report = await box(cell, p.seconds);
        cell.rates.push(report.accepted / report.seconds);
        tally(cell, report);
      }
    }
  }
  return cells;
}

interface PacedCell {
  server: Server;
  offered: number;
  sent: number;
  accepted: number;
  latenciesMs: number[];
  pushes: number;
  failed: number;
  firstFailure?: string;
  /** CPU time the server used per second of the run, as a share of one core. */
  cpuShare: number;
}

async function pacedIngest(load: PushLoad, servers: readonly Server[], fleet: Fleet, p: Plan): Promise<PacedCell[]> {
  const cells: PacedCell[] = [];
  for (const server of servers) {
    const cpuBefore = processUsage(server.pid).cpuSeconds;
    // A connection per probe, as the fleet has: no push waits in the load generator for another to be answered.
    const report = await load.run({
      url: server.url,
      token: TOKEN,
      batch: probeBatch(fleet),
      connections: fleet.probes.length,
      seconds: p.pacedSeconds,
      rate: fleet.steadyRate,
    });
    const cell: PacedCell = {
      server,
      offered: fleet.steadyRate,
      sent: report.sent,
      accepted: report.accepted,
      latenciesMs: [],
      pushes: 0,
      failed: 0,
      cpuShare: (processUsage(server.pid).cpuSeconds - cpuBefore) / report.seconds,
    };
    tally(cell, report);
    cells.push(cell);
  }
  return cells;
}

/** One whole cycle of the fleet (every probe's result of every check, once), as fast as the collector takes it. */
async function fullCycle(load: PushLoad, collector: Server, fleet: Fleet, p: Plan): Promise<LoadReport> {
  const report = await load.run({
    url: collector.url,
    token: TOKEN,
    batch: probeBatch(fleet),
    connections: p.connections,
    results: fleet.probes.length * fleet.checks.length,
  });
  if (report.failed) throw new Error(`the collector refused ${report.failed} pushes of a full cycle: ${report.firstFailure}`);
  return report;
}

// --- Tables ---

const ms = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const count = (v: number) => Math.round(v).toLocaleString('en');
const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);
const times = (v: number) => (v >= 10 ? v.toFixed(0) : v.toFixed(2));
const percent = (v: number) => `${(v * 100).toFixed(v < 0.1 ? 1 : 0)} %`;
const latency = (values: readonly number[], q: number) =>
  ms(
    quantile(
      [...values].sort((a, b) => a - b),
      q,
    ),
  );

function histogramRow(label: string, h: EvaluationHistogram, journalLines: number): string[] {
  const bound = (v: number) => (Number.isFinite(v) ? ms(v) : '> 1000');
  return [label, String(h.count), ms(h.meanMs), bound(h.p50Ms), bound(h.p99Ms), count(journalLines)];
}

function evaluationTable(runs: readonly EvaluationRun[]): Table {
  return {
    columns: [
      'probes × checks',
      'votes in window',
      'Ingest.accept results/s',
      'first evaluation ms',
      'journal lines it synced',
      'evaluation median ms',
      'p10–p90',
      'p99',
      'evaluations',
      'median / evaluate_every',
      'streaming: median ms',
      'streaming p99',
    ],
    rows: runs.map((r) => {
      const s = spread(r.steadyMs);
      return [
        r.fleet.label,
        count(r.fleet.probes.length * r.fleet.checks.length),
        count(r.acceptRate),
        ms(r.firstMs),
        count(r.firstJournalLines),
        ms(s.median),
        range(s, ms),
        latency(r.steadyMs, 0.99),
        String(s.n),
        percent(s.median / EVALUATE_EVERY_MS),
        ms(spread(r.streamingMs).median),
        latency(r.streamingMs, 0.99),
      ];
    }),
  };
}

function statesTable(inProcess: EvaluationRun, process: { states: Map<string, number>; unhealthyProbes: number }): Table {
  const states = [...new Set([...inProcess.states.keys(), ...process.states.keys()])].sort();
  return {
    columns: ['vendor state', `vendors, in process (${inProcess.fleet.label})`, 'vendors, collector process'],
    rows: [
      ...states.map((state) => [state, String(inProcess.states.get(state) ?? 0), String(process.states.get(state) ?? 0)]),
      ['probe_unhealthy (probes)', String(inProcess.unhealthyProbes), String(process.unhealthyProbes)],
    ],
  };
}

function ingestTable(cells: readonly IngestCell[]): Table {
  return {
    columns: ['server', 'batch', 'results/s (median)', 'p10–p90', '× parse-only', '× parse + zod validate', 'push p50 ms', 'push p99 ms', 'pushes', 'failed'],
    rows: cells.map((cell) => {
      const s = spread(cell.rates);
      const against = (name: string) => {
        const base = cells.find((c) => c.batch === cell.batch && c.server.name === name)!;
        const ratio = pairedRatios(cell.rates, base.rates);
        return cell === base ? '1' : `${times(ratio.median)} (${range(ratio, times)})`;
      };
      return [
        cell.server.name,
        String(cell.batch),
        count(s.median),
        range(s, count),
        against('parse only'),
        against('parse + zod validate'),
        latency(cell.latenciesMs, 0.5),
        latency(cell.latenciesMs, 0.99),
        String(cell.pushes),
        failures(cell.failed, cell.pushes, cell.firstFailure),
      ];
    }),
  };
}

function pacedTable(cells: readonly PacedCell[]): Table {
  return {
    columns: ['server', 'offered results/s', 'results sent', 'accepted', 'push p50 ms', 'push p99 ms', 'CPU (share of its core)', 'pushes', 'failed'],
    rows: cells.map((c) => [
      c.server.name,
      count(c.offered),
      count(c.sent),
      count(c.accepted),
      latency(c.latenciesMs, 0.5),
      latency(c.latenciesMs, 0.99),
      percent(c.cpuShare),
      String(c.pushes),
      failures(c.failed, c.pushes, c.firstFailure),
    ]),
  };
}

/** The collector's targets from issue #19, each against this run's figure. */
function goalsTable(
  runs: readonly EvaluationRun[],
  ingest: readonly IngestCell[],
  paced: readonly PacedCell[],
  collector: Server,
  peakRssBytes: number,
): Table {
  const batch = Math.min(...ingest.map((c) => c.batch));
  const cell = (name: string) => ingest.find((c) => c.batch === batch && c.server.name === name)!;
  const ratio = pairedRatios(cell(collector.name).rates, cell('parse + zod validate').rates).median;
  const p99 = quantile(
    [...paced.find((c) => c.server === collector)!.latenciesMs].sort((a, b) => a - b),
    0.99,
  );
  const evaluation = (label: string, which: 'steadyMs' | 'streamingMs') => {
    const run = runs.find((r) => r.fleet.label === label);
    return run ? spread(run[which]).median : Number.NaN;
  };
  const row = (goal: string, target: string, value: number, shown: string, met: boolean) => [
    goal,
    target,
    Number.isNaN(value) ? '–' : shown,
    Number.isNaN(value) ? '–' : met ? 'yes' : 'no',
  ];
  const main = fleets.main;
  const mainLabel = new Fleet(main).label;
  const largeLabel = new Fleet(fleets.large).label;
  return {
    columns: ['goal', 'target', 'this run', 'met'],
    rows: [
      row(`results/s, closed loop, pushes of ${batch}`, '≥ 0.5× parse + zod validate', ratio, `${times(ratio)}×`, ratio >= 0.5),
      row("push p99 at the fleet's pace", '≤ 50 ms', p99, `${ms(p99)} ms`, p99 <= 50),
      ...(['steadyMs', 'streamingMs'] as const).flatMap((which) => {
        const what = which === 'steadyMs' ? 'no result between evaluations' : 'results streaming in';
        const at = (label: string, limit: number) => {
          const v = evaluation(label, which);
          return row(`one evaluation at ${label}, ${what} (median)`, `≤ ${limit} ms`, v, `${ms(v)} ms`, v <= limit);
        };
        return [at(mainLabel, 15), at(largeLabel, 45)];
      }),
      row('peak resident set size of the collector', '≤ 250 MB', peakRssBytes, `${mb(peakRssBytes)} MB`, peakRssBytes <= 250 * 1024 * 1024),
    ],
  };
}

// --- The benchmark ---

export const consensusBenchmark: Benchmark = {
  name: 'consensus',
  title: 'Consensus at scale: results/s ingested and state evaluation time',
  run: ({ quick, log }) =>
    withStops(async (onStop) => {
      const p = plan(quick);
      const fleet = new Fleet(p.ingest);
      const serverCpu = Math.min(1, cpus().length - 1);
      const loadCpu = 0;
      const windowSeconds = p.window ? Number.parseFloat(p.window) : WINDOW_SECONDS;

      // Time evaluation in this process first, while nothing else of the benchmark runs.
      const runs: EvaluationRun[] = [];
      for (const { size, evaluations } of p.evaluation) {
        log(`in process: ${new Fleet(size).label}, ${evaluations} evaluations`);
        runs.push(await timeEvaluation(size, evaluations));
      }
      const atScale = runs.find((r) => r.fleet.label === fleet.label) ?? runs.at(-1)!;

      log(`starting the collector (${fleet.label}) and the ceiling servers on CPU ${serverCpu}, the load generator on CPU ${loadCpu}`);
      const collector = await startCollectorProcess(fleet, p.window, serverCpu, onStop);
      const ceilings: Ceiling[] = [];
      for (const mode of ['parse', 'validate'] as const) {
        const ceiling = await startCeiling(mode, serverCpu);
        onStop(() => ceiling.close());
        ceilings.push(ceiling);
      }
      const load = await startPushLoad(p.ingest, loadCpu);
      onStop(() => load.close());
      const servers: Server[] = [
        { name: 'parse only', url: ceilings[0]!.url, pid: ceilings[0]!.pid },
        { name: 'parse + zod validate', url: ceilings[1]!.url, pid: ceilings[1]!.pid },
        collector,
      ];
      const rssAtStart = new Map(servers.map((s) => [s, processUsage(s.pid).rssBytes]));

      // Votes older than the window fall out, and a verdict that goes unknown is journaled (and synced): the
      // collector must have every vote fresh throughout, as a real fleet keeps it. So the first cycle ends
      // just before it starts judging, and everything after the second cycle takes less than a window.
      const atStart = await collector.metrics();
      await sleep(Math.max(0, judgingFrom(collector, windowSeconds) - FIRST_CYCLE_LEAD_SECONDS * 1000 - Date.now()));
      log(`a full cycle of ${count(fleet.probes.length * fleet.checks.length)} results to the collector, then its first evaluation`);
      const cycles = [await fullCycle(load, collector, fleet, p)];
      const judging = await waitUntilJudging(collector, windowSeconds);
      const journalAtFirst = collector.journalLines();
      log(`another full cycle, then ${p.restSeconds} s of rest`);
      cycles.push(await fullCycle(load, collector, fleet, p));
      const beforeRest = await collector.metrics();
      const journalBeforeRest = collector.journalLines();
      await sleep(p.restSeconds * 1000);
      const afterRest = await collector.metrics();
      const journalAfterRest = collector.journalLines();
      const processStates = { states: await collector.vendorStates(), unhealthyProbes: await collector.unhealthyProbes() };

      log(`paced: ${count(fleet.steadyRate)} results/s for ${p.pacedSeconds} s per server`);
      const paced = await pacedIngest(load, servers, fleet, p);
      const batches = [probeBatch(fleet), PUSH_BATCH_MAX];
      const ingest = await compareIngest(load, servers, batches, p, log);
      const afterIngest = await collector.metrics();
      const journalAfterIngest = collector.journalLines();
      const usage = new Map(servers.map((s) => [s, processUsage(s.pid)]));

      const first = histogramBetween(atStart, judging);
      const atRest = histogramBetween(beforeRest, afterRest);
      const underLoad = histogramBetween(afterRest, afterIngest);
      const real = ingest.find((c) => c.server === collector && c.batch === probeBatch(fleet))!;
      const collectorRate = spread(real.rates).median;
      const steady = spread(atScale.steadyMs).median;

      return {
        method: [
          `Fleet (bench/fleet.ts): ${fleet.size.vendors} vendors × ${fleet.size.checksPerVendor} checks (per vendor 6 delivery, 2 performance, 1 control, 1 telemetry; http, and dns for DNS vendors) watched by ${fleet.size.regions} regions × ${fleet.size.probesPerRegion} probes, config defaults otherwise (interval ${INTERVAL_SECONDS} s, consensus window ${p.window ?? `${WINDOW_SECONDS} s`}, min_probes 2, majority quorum). Results are CheckResults shaped like the real checks' (phases, an assertion, http or dns details; ~650 bytes each), all passing but for a fixed scenario: some vendors' delivery failing in one region or everywhere, performance slow in one region, control or telemetry failing, and one bad probe failing what its peers pass.`,
          `State evaluation, in process: a Collector (agent/collector/collector.ts) on the fleet's config, a journal in a temporary directory (on disk), no alert receivers. Every probe's result of every check goes through Ingest.accept (timed: results/s without HTTP), then \`evaluate(now)\` runs once a (simulated) second: the first evaluation (every verdict and vendor state new, so journaled) is shown apart, then ${p.evaluation.map((e) => `${e.evaluations} at ${new Fleet(e.size).label}`).join(', ')}, every vote still in the window and no result arriving between them; then as many "streaming", each after a quarter second of the fleet's results (its pace, in pushes of one probe's, through Ingest.accept, not timed), as while results stream in the collector evaluates at most every 250 ms.`,
          `Ingest: \`vendorwatch collector\` (its own Node process, \`taskset -c ${serverCpu}\`) beside two bare node:http servers on the same CPU (bench/ceiling.ts): "parse only" reads the body with the collector's readBody and JSON.parses it, "parse + zod validate" also checks it against the collector's push schema; both answer 204. The load generator (bench/push-load.ts, \`taskset -c ${loadCpu}\`, undici, ${p.connections} kept-alive connections) pushes the fleet's results with fresh ids and timestamps, each push one probe's results: ${batches[0]} (what a probe running ${fleet.checks.length} checks every ${INTERVAL_SECONDS} s pushes each ${PUSH_INTERVAL_SECONDS} s push_interval) or ${PUSH_BATCH_MAX} (the most a probe pushes, catching up from its spool).`,
          `Closed loop: ${p.connections} pushes in flight, each sent when one is answered, for ${p.seconds} s per server and batch size, ${p.rounds} round${p.rounds === 1 ? '' : 's'}${p.warmupSeconds ? ` after an unrecorded ${p.warmupSeconds} s warm-up each` : ''}, servers in an order that rotates each round; results/s counts results the server accepted; the ratio to parse-only is paired round by round. Push latency is from send to the whole answer, so it includes queueing at a saturated server.`,
          `Paced: the fleet's own rate, ${count(fleet.steadyRate)} results/s (${fleet.label} every ${INTERVAL_SECONDS} s) in pushes of ${batches[0]}, sent on schedule whatever the answers over a connection per probe (${fleet.probes.length}), for ${p.pacedSeconds} s per server; latency counts from when a push was due. CPU is the server's user + system time (/proc) over the run.`,
          `Order: the in-process timings first, alone; then the servers start. The collector judges nothing for one window after a start; ${FIRST_CYCLE_LEAD_SECONDS} s before that it gets one full cycle (${count(fleet.probes.length * fleet.checks.length)} results, every probe's vote of every check), and the benchmark waits for its first evaluation; a second full cycle refreshes every vote and it rests ${p.restSeconds} s, evaluating on its ${EVALUATE_EVERY_MS / 1000} s timer alone; then the paced runs and the closed loop, all within one window of the second cycle, so no vote ages out (a real fleet refreshes each every ${INTERVAL_SECONDS} s) and it evaluates with the whole fleet in its window. Its \`${EVALUATION_METRIC}\` histogram is read from /metrics, and its journal's length, before and after each stretch.`,
        ],
        tables: [
          { heading: 'Goals (issue #19), this run', table: goalsTable(runs, ingest, paced, collector, usage.get(collector)!.peakRssBytes) },
          { heading: 'State evaluation in process (Collector.evaluate: consensus, probe health, vendor states, alerts)', table: evaluationTable(runs) },
          {
            heading: `Evaluation time in the collector process (its own histogram, ${fleet.label})`,
            table: {
              columns: ['while', 'evaluations', 'mean ms', 'p50 ≤ ms (bucket)', 'p99 ≤ ms (bucket)', 'journal lines written'],
              rows: [
                histogramRow('from its start until /metrics answered after the first (which journals every verdict)', first, journalAtFirst),
                histogramRow(`at rest (${p.restSeconds} s, timer only)`, atRest, journalAfterRest - journalBeforeRest),
                histogramRow('ingesting (paced and closed loop)', underLoad, journalAfterIngest - journalAfterRest),
              ],
            },
          },
          { heading: `Vendor states reached (the scenario in bench/fleet.ts)`, table: statesTable(atScale, processStates) },
          { heading: `Ingest, closed loop (${p.connections} pushes in flight, ${fleet.label})`, table: ingestTable(ingest) },
          { heading: `Ingest at the fleet's own pace (${count(fleet.steadyRate)} results/s)`, table: pacedTable(paced) },
          {
            heading: 'Full cycles to the collector (every probe × check once)',
            table: {
              columns: ['cycle', 'results', 'seconds', 'results/s'],
              rows: cycles.map((c, i) => [
                i === 0 ? 'first (before judging starts)' : 'second (judging)',
                count(c.accepted),
                c.seconds.toFixed(1),
                count(c.accepted / c.seconds),
              ]),
            },
          },
          {
            heading: 'Memory (resident set size, MB)',
            table: {
              columns: ['server', 'after start', 'peak', 'at the end'],
              rows: servers.map((s) => [s.name, mb(rssAtStart.get(s)!), mb(usage.get(s)!.peakRssBytes), mb(usage.get(s)!.rssBytes)]),
            },
          },
        ],
        notes: [
          `Headroom: ${fleet.label} at the default ${INTERVAL_SECONDS} s interval push ${count(fleet.steadyRate)} results/s; the collector took ${count(collectorRate)}/s in pushes of ${batches[0]} (median), ${times(collectorRate / fleet.steadyRate)}× that, and ${percent(paced.find((c) => c.server === collector)!.cpuShare)} of its core at that pace.`,
          `Evaluation budget: at ${atScale.fleet.label} one evaluation took ${ms(steady)} ms (median, in process), ${percent(steady / EVALUATE_EVERY_MS)} of evaluate_every (${EVALUATE_EVERY_MS / 1000} s); while results keep arriving the collector evaluates up to ${EVALUATIONS_PER_SECOND_MAX} times a second (at least 250 ms apart), up to ${percent((EVALUATIONS_PER_SECOND_MAX * steady) / 1000)} of a core. An evaluation blocks the event loop, so pushes arriving meanwhile wait that long: it sets the push p99.`,
          'An evaluation re-judges only the (check, region) pairs whose votes changed since the last one, entered or left the window, or whose probes changed health or region (agent/collector/verdictTable.ts); the per-vendor step (vendor conditions, state, incidents, alerts) runs for every vendor each time. So an evaluation with no new result costs the per-vendor step alone, and one while results stream in costs that plus the pairs the quarter second of results touched: the streaming column is the one that sets the push p99.',
          'The first evaluation after a start journals every verdict and vendor state, in one write and one fdatasync for the whole evaluation (journal.batch in agent/collector/journal.ts).',
          "Every push asks for an evaluation (at most one per 250 ms), so while results stream in the collector spends up to 4 evaluations' time per second on judging: its ingest rate is what parsing, validation and those evaluations leave of the core.",
          'Servers and the load generator are pinned to different CPUs, but the machine is shared: other work lands on either CPU. Compare servers by the paired ratios, not numbers across runs.',
        ],
      };
    }),
};
