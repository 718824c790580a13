/**
 * Beacon ingest: the vendorwatch collector (`vendorwatch collector`, the CLI as deployed) against
 * a bare node:http server that reads the body and answers 204, the ceiling of what any Node
 * collector could do on the same core. Each server is a process of its own pinned to one core
 * (`taskset -c 1`); one load generator process pinned to the other (`taskset -c 0`) POSTs a real
 * beacon with the headers the browser sent, gzipped or plain as the page sends it. Boxes rotate
 * between contenders round by round, at N beacons in flight (throughput) and at one (latency).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { scrape, sum } from '../test/support/exposition.ts';
import { CLI, start, waitFor, type Running } from '../test/support/processes.ts';
import { startLoadGenerator, type RunResult } from './beacon-load.ts';
import { pairedRatios, processUsage, quantile, rotated, spread, type Spread } from './measure.ts';

export const SERVER_CORE = 1;
export const GENERATOR_CORE = 0;

/** The ceiling, run as `node -e` so nothing but Node's HTTP stack is in it. */
export const BARE_SERVER = [
  "const server = require('node:http').createServer((req, res) => {",
  '  const chunks = [];',
  "  req.on('data', (c) => chunks.push(c)).on('end', () => { Buffer.concat(chunks); res.writeHead(204).end(); });",
  '});',
  "server.listen(0, '127.0.0.1', () => console.log(server.address().port));",
].join('\n');

/** A beacon as a page sent it, to replay. */
export interface CapturedBeacon {
  json: string;
  nav: string;
  /** The request headers the browser sent (Origin, Content-Type, User-Agent, Sec-Fetch-*, ...). */
  headers: Record<string, string>;
}

interface IngestPlan {
  rounds: number;
  /** Time box at `inFlight` beacons in flight. */
  seconds: number;
  /** Time box at one beacon in flight. */
  latencySeconds: number;
  /** An unrecorded first box per contender at `inFlight`. */
  warmupSeconds: number;
  inFlight: number;
}

export function ingestPlan(quick: boolean): IngestPlan {
  return quick
    ? { rounds: 1, seconds: 1, latencySeconds: 0.3, warmupSeconds: 0, inFlight: 16 }
    : { rounds: 5, seconds: 2, latencySeconds: 1, warmupSeconds: 1, inFlight: 16 };
}

interface PinnedServer {
  name: string;
  origin: string;
  pid: number;
  running: Running;
}

/** The cores a process may run on (Cpus_allowed_list in /proc/PID/status): shows the pinning held. */
function allowedCores(pid: number): string {
  return /^Cpus_allowed_list:\s*(.+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]?.trim() ?? 'unknown';
}

/**
 * CPU time a process's threads have run, and time its main thread (the event loop) was ready to
 * run but waited for a core, in seconds: from /proc/PID/task/TID/schedstat, which the scheduler
 * keeps in nanoseconds (the utime and stime of /proc/PID/stat count 10 ms ticks, too coarse for
 * a short box).
 */
function schedulerTimes(pid: number): { cpu: number; waited: number } {
  let cpu = 0;
  let waited = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      const [run, wait] = readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ').map(Number);
      cpu += run! / 1e9;
      if (task === String(pid)) waited = wait! / 1e9;
    } catch {
      // the thread ended between listing and reading
    }
  }
  return { cpu, waited };
}

const pinned = (core: number, cmd: string, args: string[]) => start('taskset', ['-c', String(core), cmd, ...args]);

async function startBareServer(): Promise<PinnedServer> {
  const running = pinned(SERVER_CORE, process.execPath, ['-e', BARE_SERVER]);
  const port = await new Promise<string | undefined>((resolve) => {
    createInterface({ input: running.child.stdout! }).once('line', resolve);
    running.child.once('exit', () => resolve(undefined));
  });
  if (!port) throw new Error(`the bare server did not start: ${running.output()}`);
  return { name: 'bare node:http (204)', origin: `http://127.0.0.1:${port}`, pid: running.child.pid!, running };
}

/** `vendorwatch collector` on `port`, pinned to the servers' core. */
export async function startPinnedCollector(configFile: string, port: number): Promise<PinnedServer> {
  const origin = `http://127.0.0.1:${port}`;
  const running = pinned(SERVER_CORE, process.execPath, [CLI, 'collector', '--config', configFile, '--listen', `127.0.0.1:${port}`]);
  try {
    await waitFor(async () => (await fetch(`${origin}/healthz`)).ok, { timeoutMs: 60_000, what: `the collector on ${origin}` });
  } catch (err) {
    await running.stop();
    throw new Error(`${(err as Error).message}\n${running.output()}`, { cause: err });
  }
  return { name: 'vendorwatch collector', origin, pid: running.child.pid!, running };
}

export const bodyForms = {
  plain: 'JSON, as sent when the page is left',
  gzip: 'gzip, as sent when the page is hidden',
} as const;
type BodyForm = keyof typeof bodyForms;

/** One time box of one contender; CPU shares are of the box's span (1 = one core). */
interface BoxRun {
  result: RunResult;
  rate: number;
  serverCpu: number;
  serverWaited: number;
  generatorCpu: number;
  /** Server CPU seconds per 2xx answer. */
  cpuPerBeacon: number;
}

interface Contender {
  server: PinnedServer;
  form: BodyForm;
  /** The fastest rate seen, to make enough bodies before the next box. */
  bestRate: number;
}

export interface BoxSummary {
  server: string;
  form: BodyForm;
  /** 2xx answers per second, one per round. */
  rates: number[];
  /** Each rate over the bare server's with the same body in the same round. */
  ratio?: Spread;
  /** Server CPU time per 2xx answer, in seconds, one per round. */
  cpuPerBeacon: number[];
  /** Each CPU time per beacon over the bare server's with the same body in the same round. */
  cpuRatio?: Spread;
  latency: { p50: number; p99: number };
  answers: number;
  /** Non-2xx answers and requests without one, with the first one's text. */
  failed: number;
  firstFailure?: string;
  /** CPU the server and the generator used over the box's span, median over rounds (1 = one core). */
  serverCpu: number;
  generatorCpu: number;
  /** Time the server's event loop waited for a core over the box's span, median over rounds. */
  serverWaited: number;
  madeDuringBox: number;
  bodyBytes: number;
}

interface ServerMemory {
  server: string;
  cores: string;
  /** Before the first box (the collector has also taken the page views' beacons by then). */
  rssBeforeBytes: number;
  peakRssBytes: number;
  endRssBytes: number;
  beacons: number;
}

interface IngestResults {
  throughput: BoxSummary[];
  latency: BoxSummary[];
  memory: ServerMemory[];
  generatorCores: string;
  /** What the collector's own counter says it accepted, against the 204s the generator saw. */
  collectorAccepted: { counted: number; answered: number };
}

/** The collector's rum.rate_limit (per client and minute): the one generator address is never limited. */
export const RATE_LIMIT = 1_000_000_000;
/** Bodies are made before a box; past this many, the rest are made during it (counted). */
const MAX_PREPARED = 40_000;
/** Bodies the bare server gets, over and over: it does not read them, so they need not be new. */
export const BARE_SERVER_BODIES = 1000;
const FIRST_GUESS_PER_SECOND = 3000;

/**
 * Runs the ingest comparison against `collector` (started with `rum.rate_limit: RATE_LIMIT`, and
 * left running) and a bare server it starts, with a generator it starts.
 */
export async function measureIngest(opts: {
  beacon: CapturedBeacon;
  collector: PinnedServer;
  plan: IngestPlan;
  log: (line: string) => void;
}): Promise<IngestResults> {
  const { beacon, plan, log } = opts;
  const generator = await startLoadGenerator(GENERATOR_CORE);
  const bare = await startBareServer().catch(async (err) => {
    await generator.close();
    throw err;
  });
  const servers = [bare, opts.collector];
  try {
    const before = new Map(servers.map((s) => [s, processUsage(s.pid).rssBytes]));
    const acceptedBefore = await acceptedBy(opts.collector);
    const contenders: Contender[] = servers.flatMap((server) =>
      (['plain', 'gzip'] as const).map((form) => ({ server, form, bestRate: FIRST_GUESS_PER_SECOND })),
    );
    const answered = new Map<PinnedServer, Record<string, number>>(servers.map((s) => [s, {}]));

    const box = async (c: Contender, inFlight: number, seconds: number): Promise<BoxRun> => {
      const reuse = c.server === bare;
      const count = reuse ? BARE_SERVER_BODIES : Math.min(MAX_PREPARED, Math.ceil(c.bestRate * seconds * 2) + 100);
      await generator.prepare({ json: beacon.json, nav: beacon.nav, gzip: c.form === 'gzip', count });
      const [server, load] = [schedulerTimes(c.server.pid), schedulerTimes(generator.pid)];
      const result = await generator.run({ origin: c.server.origin, path: '/v1/beacon', headers: beacon.headers, seconds, inFlight, reuse });
      const [serverAfter, loadAfter] = [schedulerTimes(c.server.pid), schedulerTimes(generator.pid)];
      const serverCpu = (serverAfter.cpu - server.cpu) / result.seconds;
      const serverWaited = (serverAfter.waited - server.waited) / result.seconds;
      const generatorCpu = (loadAfter.cpu - load.cpu) / result.seconds;
      const tally = answered.get(c.server)!;
      for (const [status, n] of Object.entries(result.answers)) tally[status] = (tally[status] ?? 0) + n;
      const ok = okAnswers(result);
      c.bestRate = Math.max(c.bestRate, ok / result.seconds);
      return { result, rate: ok / result.seconds, serverCpu, serverWaited, generatorCpu, cpuPerBeacon: (serverCpu * result.seconds) / ok };
    };

    if (plan.warmupSeconds > 0) {
      log(`ingest: warm-up, ${plan.warmupSeconds} s per contender`);
      for (const c of contenders) await box(c, plan.inFlight, plan.warmupSeconds);
    }
    const boxes = { throughput: contenders.map((): BoxRun[] => []), latency: contenders.map((): BoxRun[] => []) };
    for (let round = 0; round < plan.rounds; round++) {
      log(`ingest: round ${round + 1} of ${plan.rounds}`);
      for (const c of rotated(contenders, round)) {
        const i = contenders.indexOf(c);
        boxes.throughput[i]!.push(await box(c, plan.inFlight, plan.seconds));
        boxes.latency[i]!.push(await box(c, 1, plan.latencySeconds));
      }
    }

    const summarize = (kind: 'throughput' | 'latency') =>
      contenders.map((c, i): BoxSummary => {
        const runs = boxes[kind][i]!;
        const baseline = contenders.findIndex((b) => b.form === c.form && b.server === bare);
        const latencies = runs.flatMap((r) => r.result.latenciesMs).sort((a, b) => a - b);
        const failures = runs.map((r) => r.result).filter((r) => r.firstFailure);
        const answers = latencies.length;
        const failed = answers - runs.reduce((n, r) => n + okAnswers(r.result), 0);
        return {
          server: c.server.name,
          form: c.form,
          rates: runs.map((r) => r.rate),
          cpuPerBeacon: runs.map((r) => r.cpuPerBeacon),
          ...(i !== baseline && {
            ratio: pairedRatios(
              runs.map((r) => r.rate),
              boxes[kind][baseline]!.map((r) => r.rate),
            ),
            cpuRatio: pairedRatios(
              runs.map((r) => r.cpuPerBeacon),
              boxes[kind][baseline]!.map((r) => r.cpuPerBeacon),
            ),
          }),
          latency: { p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99) },
          answers,
          failed,
          ...(failures[0] && { firstFailure: failures[0].firstFailure }),
          serverCpu: spread(runs.map((r) => r.serverCpu)).median,
          generatorCpu: spread(runs.map((r) => r.generatorCpu)).median,
          serverWaited: spread(runs.map((r) => r.serverWaited)).median,
          madeDuringBox: runs.reduce((n, r) => n + r.result.madeDuringBox, 0),
          bodyBytes: spread(runs.map((r) => r.result.meanBodyBytes)).median,
        };
      });

    const counted = (await acceptedBy(opts.collector)) - acceptedBefore;
    return {
      throughput: summarize('throughput'),
      latency: summarize('latency'),
      memory: servers.map((s) => {
        const { peakRssBytes, rssBytes } = processUsage(s.pid);
        return {
          server: s.name,
          cores: allowedCores(s.pid),
          rssBeforeBytes: before.get(s)!,
          peakRssBytes,
          endRssBytes: rssBytes,
          beacons: Object.values(answered.get(s)!).reduce((a, b) => a + b, 0),
        };
      }),
      generatorCores: allowedCores(generator.pid),
      collectorAccepted: { counted, answered: answered.get(opts.collector)!['204'] ?? 0 },
    };
  } finally {
    await generator.close();
    await bare.running.stop();
  }
}

const acceptedBy = async (collector: PinnedServer) => sum(await scrape(collector.origin), 'vendorwatch_rum_beacons_total', { result: 'accepted' });
const okAnswers = (r: RunResult) => Object.entries(r.answers).reduce((n, [status, k]) => n + (/^2\d\d$/.test(status) ? k : 0), 0);
