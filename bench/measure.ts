/**
 * How every benchmark measures. Contenders (vendorwatch and the tools it is compared with) each
 * run one check against a target; they are measured side by side in one process run, in
 * interleaved rounds whose order rotates, so load from anything else on the machine hits all of
 * them alike. Results are medians with their p10–p90 spread; ratios are paired round by round.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, release, type } from 'node:os';

/** One check by one contender. Timings in seconds, as each tool reports them. */
export interface Sample {
  ok: boolean;
  ttfb?: number;
  total?: number;
  /** Why it failed. */
  message?: string;
}

export interface Contender<T> {
  name: string;
  /** Tool and version, e.g. "curl 7.88.1". */
  version: string;
  /** Exactly what runs per check, for BENCHMARKS.md. */
  command: string;
  /** Takes seconds per check (a Node process start): fewer accuracy samples keep the run short. */
  slow?: boolean;
  run(target: T): Promise<Sample>;
}

/** Median and spread of some values. */
export interface Spread {
  n: number;
  median: number;
  p10: number;
  p90: number;
}

export function quantile(sorted: readonly number[], q: number): number {
  if (!sorted.length) return Number.NaN;
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo);
}

export function spread(values: readonly number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  return { n: sorted.length, median: quantile(sorted, 0.5), p10: quantile(sorted, 0.1), p90: quantile(sorted, 0.9) };
}

/** The least-squares slope of y over x (NaN when every x is the same): bytes per resource, per context. */
export function slope(points: readonly (readonly [number, number])[]): number {
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const num = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const den = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return den ? num / den : Number.NaN;
}

/** a[i] / b[i], round by round: a ratio from the same moment is fair even when the load drifts. */
export function pairedRatios(a: readonly number[], b: readonly number[]): Spread {
  return spread(a.map((v, i) => v / b[i]!).filter(Number.isFinite));
}

/** A contender's run that never throws: a crash is a failed sample with its message. */
async function sample<T>(contender: Contender<T>, target: T): Promise<Sample> {
  try {
    return await contender.run(target);
  } catch (err) {
    return { ok: false, message: (err as Error)?.message ?? String(err) };
  }
}

/** Rotates a list by `by` places, so each round starts with another contender. */
export function rotated<T>(list: readonly T[], by: number): T[] {
  const k = by % list.length;
  return [...list.slice(k), ...list.slice(0, k)];
}

// --- Throughput: checks per second at a fixed concurrency ---

export interface ThroughputOptions {
  rounds: number;
  /** Length of one contender's time box per round. */
  seconds: number;
  concurrency: number;
  /** An unrecorded first time box per contender (JIT, first connections). */
  warmupSeconds: number;
}

export interface Throughput {
  contender: string;
  /** Passing checks per second, one per round. */
  rates: number[];
  checks: number;
  failed: number;
  firstFailure?: string;
}

/**
 * Keeps `concurrency` checks in flight until the time box ends, waits for the last ones, and
 * counts passing checks per second of the whole span.
 */
async function timeBox<T>(contender: Contender<T>, target: T, seconds: number, concurrency: number) {
  const start = performance.now();
  const deadline = start + seconds * 1000;
  const tally = { ok: 0, failed: 0, firstFailure: undefined as string | undefined };
  const worker = async () => {
    while (performance.now() < deadline) {
      const s = await sample(contender, target);
      if (s.ok) tally.ok++;
      else {
        tally.failed++;
        tally.firstFailure ??= s.message ?? 'failed';
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { ...tally, rate: tally.ok / ((performance.now() - start) / 1000) };
}

async function compareThroughput<T>(contenders: readonly Contender<T>[], target: T, opts: ThroughputOptions): Promise<Throughput[]> {
  const results = new Map(contenders.map((c) => [c, { contender: c.name, rates: [] as number[], checks: 0, failed: 0 } as Throughput]));
  if (opts.warmupSeconds > 0) for (const c of contenders) await timeBox(c, target, opts.warmupSeconds, opts.concurrency);
  for (let round = 0; round < opts.rounds; round++) {
    for (const c of rotated(contenders, round)) {
      const box = await timeBox(c, target, opts.seconds, opts.concurrency);
      const r = results.get(c)!;
      r.rates.push(box.rate);
      r.checks += box.ok + box.failed;
      r.failed += box.failed;
      if (box.firstFailure) r.firstFailure ??= box.firstFailure;
    }
  }
  return [...results.values()];
}

// --- Accuracy: error against a target that delays by a known amount ---

export type TimedPhase = 'ttfb' | 'total';

export interface AccuracyOptions {
  delaysMs: readonly number[];
  /** Samples per contender and delay. */
  samples: number;
  /** Samples for `slow` contenders. */
  slowSamples: number;
}

export interface Accuracy {
  contender: string;
  delayMs: number;
  /** Absolute errors against the delay, in seconds, per phase the contender reports. */
  errors: Partial<Record<TimedPhase, Spread>>;
  failed: number;
  firstFailure?: string;
}

/** One check at a time (no contention between samples), contenders and delays interleaved. */
async function compareAccuracy<T>(contenders: readonly Contender<T>[], targetFor: (delayMs: number) => T, opts: AccuracyOptions): Promise<Accuracy[]> {
  const cells = contenders.flatMap((c) =>
    opts.delaysMs.map((delayMs) => ({
      c,
      delayMs,
      errors: { ttfb: [] as number[], total: [] as number[] },
      failed: 0,
      firstFailure: undefined as string | undefined,
    })),
  );
  for (let i = 0; i < opts.samples; i++) {
    for (const cell of rotated(cells, i)) {
      if (cell.c.slow && i >= opts.slowSamples) continue;
      const s = await sample(cell.c, targetFor(cell.delayMs));
      if (!s.ok) {
        cell.failed++;
        cell.firstFailure ??= s.message ?? 'failed';
        continue;
      }
      for (const phase of ['ttfb', 'total'] as const) {
        const measured = s[phase];
        if (measured !== undefined) cell.errors[phase].push(Math.abs(measured - cell.delayMs / 1000));
      }
    }
  }
  return cells.map(({ c, delayMs, errors, failed, firstFailure }) => ({
    contender: c.name,
    delayMs,
    errors: Object.fromEntries(
      Object.entries(errors)
        .filter(([, v]) => v.length)
        .map(([k, v]) => [k, spread(v)]),
    ),
    failed,
    ...(firstFailure && { firstFailure }),
  }));
}

/** How much of each: a full run, or a quick one that only shows the benchmark still works. */
export function plan(quick: boolean): { throughput: ThroughputOptions; accuracy: AccuracyOptions } {
  return quick
    ? { throughput: { rounds: 1, seconds: 0.2, concurrency: 1, warmupSeconds: 0 }, accuracy: { delaysMs: [50], samples: 1, slowSamples: 1 } }
    : { throughput: { rounds: 5, seconds: 2, concurrency: 4, warmupSeconds: 0.5 }, accuracy: { delaysMs: [50, 200], samples: 20, slowSamples: 8 } };
}

/** Throughput against one target, then accuracy against the delaying ones, saying so on `log`. */
export async function compare<T>(
  contenders: readonly Contender<T>[],
  targets: { throughput: T; delayed: (delayMs: number) => T },
  opts: { throughput: ThroughputOptions; accuracy: AccuracyOptions },
  log: (line: string) => void,
): Promise<{ rates: Throughput[]; errors: Accuracy[] }> {
  const t = opts.throughput;
  log(`throughput: ${t.rounds} round(s) of ${t.seconds} s per contender at concurrency ${t.concurrency}`);
  const rates = await compareThroughput(contenders, targets.throughput, t);
  const a = opts.accuracy;
  log(`accuracy: ${a.samples} sample(s) per contender and delay (${a.slowSamples} for slow ones)`);
  return { rates, errors: await compareAccuracy(contenders, targets.delayed, a) };
}

/** Runs `body`, then stops whatever it started (registered with `onStop`) in reverse order, also on failure. */
export async function withStops<R>(body: (onStop: (stop: () => Promise<void> | void) => void) => Promise<R>): Promise<R> {
  const stops: (() => Promise<void> | void)[] = [];
  try {
    return await body((stop) => stops.push(stop));
  } finally {
    for (const stop of stops.reverse()) await stop();
  }
}

// --- Processes and the machine ---

/** Runs a command to completion (killed after timeoutMs); a non-zero exit is a result, not an error. */
export function execute(
  cmd: string,
  args: readonly string[],
  opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: opts.timeoutMs ?? 30_000, env: { ...process.env, ...opts.env }, maxBuffer: 4 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      resolve({ code, stdout, stderr: err && code === null ? `${stderr}${err.message}` : stderr });
    });
  });
}

/** The first line a tool prints for `--version`, e.g. "curl 7.88.1". */
export async function toolVersion(cmd: string, pattern: RegExp): Promise<string> {
  const { stdout, stderr } = await execute(cmd, ['--version'], { timeoutMs: 10_000 });
  return pattern.exec(`${stdout}${stderr}`)?.[0] ?? `${cmd} (version unknown)`;
}

export interface Machine {
  cpu: string;
  cores: number;
  os: string;
  node: string;
}

export function machine(): Machine {
  const cpu = cpus();
  return { cpu: cpu[0]?.model.trim() ?? 'unknown CPU', cores: cpu.length, os: `${type()} ${release()}`, node: process.version };
}

/** 1, 5 and 15 minute load averages. */
export function load(): [number, number, number] {
  return loadavg() as [number, number, number];
}

/** What a process (by pid) holds and has used so far, from /proc (Linux). */
interface ProcessUsage {
  rssBytes: number;
  /** The most it ever held (VmHWM). */
  peakRssBytes: number;
  /** User + system CPU time since it started. */
  cpuSeconds: number;
}

const CLOCK_TICKS_PER_SECOND = 100;

export function processUsage(pid: number): ProcessUsage {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kB = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024;
  // The fields after the command name, which is in parentheses and may hold spaces: utime and stime are the 12th and 13th.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { rssBytes: kB('VmRSS'), peakRssBytes: kB('VmHWM'), cpuSeconds: (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND };
}
