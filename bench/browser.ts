/**
 * Browser check: what a run costs beyond the page's own time, and what each concurrent context
 * costs in memory, against the lab shop (lab/shop.ts) in Debian's Chromium.
 *   - Overhead per run: vendorwatch's browser check (its runner in this process, on the probe's
 *     one long-lived Chromium), the same with tracing off, and bare playwright-core running the
 *     same transaction script on a long-lived Chromium of its own (newContext → newPage → script
 *     → close). The caller times every run; the page's own time comes from inside the page
 *     (Navigation Timing) or from the script's steps.
 *   - First run: launching Chromium plus the run, apart from the steady state, since the probe
 *     keeps one Chromium alive.
 *   - Memory: 1, 2, 4, 8 contexts open at once, each with the shop page loaded, PSS summed over
 *     the Chromium process tree.
 */
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser } from 'playwright-core';
import { createLogger } from '../agent/log.ts';
import type { Transaction } from '../config/checks/browserTransaction.ts';
import { closeRunners, configureRunners } from '../agent/probe/checks/index.ts';
import { mainProcess, probeChromium } from '../agent/probe/checks/browser/chromium.ts';
import { errorText } from '../agent/probe/checks/browser/transactionRecorder.ts';
import { browserDetailsSchema } from '../config/checks/browser.ts';
import type { Vendor } from '../config/schema.ts';
import checkout from '../config/transactions/shop-checkout.ts';
import { launchChromium } from '../test/support/chromium.ts';
import { ROOT, tempDir } from '../test/support/processes.ts';
import { pairedRatios, rotated, slope, spread, withStops, type Spread } from './measure.ts';
import { contendersTable, failures, range, times, type Benchmark, type Table } from './report.ts';
import { startTargets } from './targets.ts';
import pageLoad, { afterLoad } from './transactions/page-load.ts';
import { vendorwatchOn, type Vendorwatch } from './vendorwatch.ts';

/** A transaction every contender runs, and how its page's own time is taken. */
interface Scenario {
  name: string;
  /** Name of vendorwatch's check running it (with `-no-trace` for the one without tracing). */
  check: string;
  script: string;
  transaction: Transaction;
  vendor: string;
  /** `load`: the navigation's loadEventEnd (Navigation Timing); `steps`: the script's steps added up. */
  pageTime: 'load' | 'steps';
}

const PAGE_LOAD: Scenario = {
  name: 'page load',
  check: 'page-load',
  script: join(ROOT, 'bench/transactions/page-load.ts'),
  transaction: pageLoad,
  vendor: 'lab-shop',
  pageTime: 'load',
};
const CHECKOUT: Scenario = {
  name: 'checkout',
  check: 'checkout',
  script: join(ROOT, 'config/transactions/shop-checkout.ts'),
  transaction: checkout,
  vendor: 'payco',
  pageTime: 'steps',
};
const SCENARIOS = [PAGE_LOAD, CHECKOUT];

/** What a run says about itself, in ms. */
interface Outcome {
  ok: boolean;
  /** The check's own total (CheckResult phases.total); vendorwatch only. */
  reportedMs?: number;
  pageMs?: number;
  message?: string;
}

/** An outcome with the time the caller measured around the whole run. */
interface Run extends Outcome {
  wallMs: number;
}

interface BrowserContender {
  name: string;
  version: string;
  command: string;
  run(scenario: Scenario): Promise<Outcome>;
}

/** How much of each: a full run, or a quick one that only shows the benchmark still works. */
function plan(quick: boolean) {
  return quick
    ? { warmupRounds: 0, rounds: 1, firstRuns: 1, contexts: [1, 2], memoryRounds: 1, settleMs: 300 }
    : { warmupRounds: 2, rounds: 20, firstRuns: 3, contexts: [1, 2, 4, 8], memoryRounds: 3, settleMs: 500 };
}

const checkName = (scenario: Scenario, trace: boolean) => `${scenario.check}${trace ? '' : '-no-trace'}`;
const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);

/** The benchmark's config: each scenario as a browser check, with and without tracing. */
function configYaml(shop: { url: string; paymentUrl: string }, artifacts: string): string {
  const check = (s: Scenario, trace: boolean) =>
    `  - { name: ${checkName(s, trace)}, vendor: ${s.vendor}, kind: browser, script: "${s.script}", base_url: "${shop.url}", timeout: 30s, ` +
    `artifacts: { dir: "${artifacts}"${trace ? '' : ', trace: false'} } }`;
  return [
    'vendors:',
    `  - { name: lab-shop, hosts: ["${new URL(shop.url).host}"] }`,
    `  - { name: payco, kind: payment, hosts: ["${new URL(shop.paymentUrl).host}"] }`,
    'checks:',
    ...SCENARIOS.flatMap((s) => [check(s, true), check(s, false)]),
    '',
  ].join('\n');
}

function vendorwatchContender(vendorwatch: Vendorwatch, trace: boolean): BrowserContender {
  return {
    name: trace ? 'vendorwatch check runner' : 'vendorwatch check runner, trace off',
    version: vendorwatch.version,
    command: trace
      ? "runCheck(check) in the benchmark process, on the probe's Chromium (config: `kind: browser`, `script`, `base_url`, `timeout: 30s`, defaults otherwise: a trace with screenshots and snapshots recorded every run, kept on failure)"
      : 'as above with `artifacts: { trace: false }`',
    async run(scenario) {
      const result = await vendorwatch.check(checkName(scenario, trace));
      if (!result.ok) return { ok: false, message: `${result.reason}: ${result.message}` };
      const details = browserDetailsSchema.parse(result.details);
      return {
        ok: true,
        ...(result.phases.total !== undefined && { reportedMs: result.phases.total * 1000 }),
        pageMs: scenario.pageTime === 'load' ? details.pages[0]?.navigationMs.load : sum(details.steps.map((s) => s.durationMs)),
      };
    },
  };
}

/** The same transaction with playwright-core alone: a fresh context, the script, close. */
async function bareRun(browser: Browser, baseURL: string, vendor: Vendor, scenario: Scenario): Promise<Outcome> {
  const context = await browser.newContext({ baseURL });
  try {
    const page = await context.newPage();
    let stepsMs = 0;
    const step = async <T>(_name: string, fn: () => T | Promise<T>): Promise<T> => {
      const t0 = performance.now();
      try {
        return await fn();
      } finally {
        stepsMs += performance.now() - t0;
      }
    };
    await scenario.transaction({ page, context, step, vendor, signal: new AbortController().signal });
    const pageMs =
      scenario.pageTime === 'steps'
        ? stepsMs
        : await page.evaluate(() => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined)?.loadEventEnd);
    return { ok: true, ...(pageMs !== undefined && { pageMs }) };
  } finally {
    await context.close();
  }
}

/** Times a run from the caller's side; a run that throws is a failed run with its message. */
async function timed(run: () => Promise<Outcome>): Promise<Run> {
  const t0 = performance.now();
  try {
    return { ...(await run()), wallMs: performance.now() - t0 };
  } catch (err) {
    return { ok: false, wallMs: performance.now() - t0, message: errorText(err, 1) };
  }
}

/** A long-lived Chromium for the bare contender, launched like the probe's, with its process id. */
async function bareChromium(): Promise<{ browser: Browser; pid: number | undefined; launchMs: number }> {
  const marker = `--vendorwatch-bench=${randomUUID()}`;
  const t0 = performance.now();
  const browser = await launchChromium({ args: [marker] });
  const launchMs = performance.now() - t0;
  return { browser, pid: mainProcess(marker), launchMs };
}

// --- Steady state: one run at a time on a Chromium that is already running ---

/** Runs per scenario and contender, one per round (failed runs included), in round order. */
type SteadyRuns = Map<Scenario, Map<BrowserContender, Run[]>>;

/** In each round every scenario runs once per contender, contenders in an order that rotates each round. */
async function steadyState(contenders: readonly BrowserContender[], rounds: number): Promise<SteadyRuns> {
  const runs: SteadyRuns = new Map(SCENARIOS.map((s) => [s, new Map(contenders.map((c) => [c, [] as Run[]]))]));
  for (let round = 0; round < rounds; round++) {
    for (const scenario of SCENARIOS) {
      for (const c of rotated(contenders, round))
        runs
          .get(scenario)!
          .get(c)!
          .push(await timed(() => c.run(scenario)));
    }
  }
  return runs;
}

// --- First run: Chromium not running yet ---

/** A first run, and how long launching Chromium took where the caller can see it. */
type FirstRun = Run & { launchMs?: number };

interface FirstRunContender {
  name: string;
  /** What it includes beyond a steady-state run. */
  includes: string;
  /** The steady-state contender whose page-load run it is compared with. */
  steady: BrowserContender;
  run(): Promise<FirstRun>;
}

async function firstRuns(contenders: readonly FirstRunContender[], samples: number, log: (line: string) => void) {
  log(`first run: ${samples} sample(s) per contender`);
  const runs = new Map(contenders.map((c) => [c, [] as FirstRun[]]));
  for (let i = 0; i < samples; i++) {
    for (const c of rotated(contenders, i)) runs.get(c)!.push(await c.run());
  }
  return runs;
}

// --- Memory: contexts open at once, Chromium's process tree measured ---

interface TreeMemory {
  bytes: number;
  processes: number;
  /** PSS where every process's smaps_rollup could be read, else RSS for the ones that could not. */
  measure: 'PSS' | 'RSS';
}

/**
 * Memory of a process and all its descendants (Chromium's renderers, zygotes, utility processes):
 * the sum of their PSS, which shares pages between them fairly instead of counting each shared
 * page once per process as RSS does.
 */
function processTreeMemory(root: number): TreeMemory {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // After "pid (comm) ", whose comm may hold spaces and parentheses: state, then the parent's pid.
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // A renderer that exited but is not reaped yet holds no memory.
      if (state === 'Z' || state === 'X') continue;
      children.set(Number(ppid), [...(children.get(Number(ppid)) ?? []), Number(entry)]);
    } catch {
      // The process ended while we looked.
    }
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i]!) ?? []));
  let bytes = 0;
  let measure: TreeMemory['measure'] = 'PSS';
  for (const pid of tree) {
    const pss = kibIn(`/proc/${pid}/smaps_rollup`, 'Pss');
    if (pss !== undefined) {
      bytes += pss * 1024;
      continue;
    }
    const rss = kibIn(`/proc/${pid}/status`, 'VmRSS');
    if (rss === undefined) continue; // It ended while we looked.
    bytes += rss * 1024;
    measure = 'RSS';
  }
  return { bytes, processes: tree.length, measure };
}

/** A "Field:   123 kB" line of a /proc file; undefined when the file or the line is not there. */
function kibIn(file: string, field: string): number | undefined {
  try {
    const kib = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(file, 'utf8'))?.[1];
    return kib === undefined ? undefined : Number(kib);
  } catch {
    return undefined;
  }
}

interface Footprint {
  contexts: number;
  memory: TreeMemory;
}

/**
 * Starts `n` page-load runs at once and measures once every page has loaded, before any context
 * closes: each run waits in the script's `afterLoad` hook until the measurement is taken.
 */
async function whileLoaded<T>(n: number, run: () => Promise<Run>, measure: () => Promise<T>): Promise<T> {
  let loaded = 0;
  let everyLoaded = () => {};
  let release = () => {};
  const allIn = new Promise<void>((resolve) => (everyLoaded = resolve));
  const released = new Promise<void>((resolve) => (release = resolve));
  afterLoad.wait = () => {
    if (++loaded === n) everyLoaded();
    return released;
  };
  const runs = Array.from({ length: n }, () => run());
  // A run that ends before the release failed before its page loaded: nothing is left to wait for.
  const endedEarly = new Promise<never>((_, reject) => {
    for (const r of runs) void r.then((done) => reject(new Error(`a run ended before every page had loaded: ${done.message ?? 'ok'}`)));
  });
  endedEarly.catch(() => {});
  try {
    await Promise.race([allIn, endedEarly]);
    return await measure();
  } finally {
    release();
    afterLoad.wait = undefined;
    const failed = (await Promise.all(runs)).find((r) => !r.ok);
    // A failed run voids the measurement, whatever it returned.
    // eslint-disable-next-line no-unsafe-finally
    if (failed) throw new Error(`a run with ${n} contexts open failed: ${failed.message}`);
  }
}

async function footprints(c: BrowserContender, pid: () => number | undefined, o: ReturnType<typeof plan>): Promise<Footprint[]> {
  const measure = async (contexts: number) => {
    await sleep(o.settleMs);
    const root = pid();
    if (root === undefined) throw new Error(`no Chromium process found for ${c.name}`);
    return { contexts, memory: processTreeMemory(root) };
  };
  const result = [await measure(0)];
  for (const n of o.contexts)
    result.push(
      await whileLoaded(
        n,
        () => timed(() => c.run(PAGE_LOAD)),
        () => measure(n),
      ),
    );
  return result;
}

async function memoryRounds(
  contenders: { contender: BrowserContender; pid: () => number | undefined }[],
  o: ReturnType<typeof plan>,
  log: (line: string) => void,
) {
  log(`memory: ${o.memoryRounds} round(s) of ${o.contexts.join(', ')} contexts per contender`);
  const rounds = new Map(contenders.map((c) => [c.contender, [] as Footprint[][]]));
  for (let round = 0; round < o.memoryRounds; round++) {
    for (const { contender, pid } of rotated(contenders, round)) rounds.get(contender)!.push(await footprints(contender, pid, o));
  }
  return rounds;
}

// --- Tables ---

const ms = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2));
const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
const median = (s: Spread, format: (v: number) => string) => (s.n ? format(s.median) : '–');
const withRange = (s: Spread, format: (v: number) => string) => (s.n ? `${format(s.median)} (${range(s, format)})` : '–');
const okRuns = <R extends Run>(runs: readonly R[]) => runs.filter((r) => r.ok);
const failedCell = (runs: readonly Run[]) => failures(runs.filter((r) => !r.ok).length, runs.length, runs.find((r) => !r.ok)?.message);

/** Wall times by round, NaN where the run failed (paired statistics leave those rounds out). */
const walls = (runs: readonly Run[]) => runs.map((r) => (r.ok ? r.wallMs : Number.NaN));

/** a[i] − b[i], round by round: the same moment, the same load. */
function pairedDifferences(a: readonly number[], b: readonly number[]): Spread {
  return spread(a.map((v, i) => v - b[i]!).filter(Number.isFinite));
}

function timeTable(runs: SteadyRuns): Table {
  return {
    columns: ['scenario', 'contender', 'runs', 'wall per run (caller)', 'p10–p90', "check's reported total", "page's own time", 'failed'],
    rows: [...runs].flatMap(([scenario, byContender]) =>
      [...byContender].map(([c, all]) => {
        const ok = okRuns(all);
        const wall = spread(ok.map((r) => r.wallMs));
        return [
          scenario.name,
          c.name,
          String(all.length),
          median(wall, ms),
          wall.n ? range(wall, ms) : '–',
          median(spread(ok.flatMap((r) => (r.reportedMs === undefined ? [] : [r.reportedMs]))), ms),
          median(spread(ok.flatMap((r) => (r.pageMs === undefined ? [] : [r.pageMs]))), ms),
          failedCell(all),
        ];
      }),
    ),
  };
}

function overheadTable(runs: SteadyRuns, bare: BrowserContender): Table {
  return {
    columns: ['scenario', 'contender', "wall − page's own time", "wall − check's reported total", `wall − ${bare.name} (same round)`, `× ${bare.name}`],
    rows: [...runs].flatMap(([scenario, byContender]) =>
      [...byContender].map(([c, all]) => {
        const ok = okRuns(all);
        const overPage = spread(ok.flatMap((r) => (r.pageMs === undefined ? [] : [r.wallMs - r.pageMs])));
        const overReported = spread(ok.flatMap((r) => (r.reportedMs === undefined ? [] : [r.wallMs - r.reportedMs])));
        const baseline = walls(byContender.get(bare)!);
        const ratio = pairedRatios(walls(all), baseline);
        return [
          scenario.name,
          c.name,
          withRange(overPage, ms),
          withRange(overReported, ms),
          c === bare ? '0' : withRange(pairedDifferences(walls(all), baseline), ms),
          c === bare ? '1' : ratio.n ? `${times(ratio.median)} (${range(ratio, times)})` : '–',
        ];
      }),
    ),
  };
}

function firstRunTable(runs: Map<FirstRunContender, FirstRun[]>, steady: SteadyRuns): Table {
  return {
    columns: ['contender', 'samples', 'first run', 'p10–p90', 'of which Chromium launch', 'steady-state run', 'first − steady', 'failed'],
    rows: [...runs].map(([c, all]) => {
      const ok = okRuns(all);
      const first = spread(ok.map((r) => r.wallMs));
      const launch = spread(ok.flatMap((r) => (r.launchMs === undefined ? [] : [r.launchMs])));
      const steadyWall = spread(okRuns(steady.get(PAGE_LOAD)!.get(c.steady)!).map((r) => r.wallMs));
      return [
        `${c.name} (${c.includes})`,
        String(all.length),
        median(first, ms),
        ok.length ? range(first, ms) : '–',
        median(launch, ms),
        median(steadyWall, ms),
        first.n && steadyWall.n ? ms(first.median - steadyWall.median) : '–',
        failedCell(all),
      ];
    }),
  };
}

function memoryTable(rounds: Map<BrowserContender, Footprint[][]>, contexts: readonly number[]): Table {
  const at = (perRound: Footprint[][], n: number) => perRound.map((r) => r.find((f) => f.contexts === n)!);
  return {
    columns: [
      'contender',
      'idle',
      ...contexts.map((n) => `${n} context${n === 1 ? '' : 's'}`),
      'per context (slope)',
      'p10–p90',
      'first context (1 − idle)',
      `processes (idle → ${contexts.at(-1)})`,
    ],
    rows: [...rounds].map(([c, perRound]) => {
      const mb = (n: number) => median(spread(at(perRound, n).map((f) => f.memory.bytes)), mib);
      const slopes = spread(perRound.map((r) => slope(r.filter((f) => f.contexts > 0).map((f) => [f.contexts, f.memory.bytes]))));
      const first = spread(perRound.map((r) => r.find((f) => f.contexts === contexts[0])!.memory.bytes - r[0]!.memory.bytes));
      const processes = (n: number) => median(spread(at(perRound, n).map((f) => f.memory.processes)), (v) => v.toFixed(0));
      return [
        c.name,
        mb(0),
        ...contexts.map(mb),
        median(slopes, mib),
        range(slopes, mib),
        median(first, mib),
        `${processes(0)} → ${processes(contexts.at(-1)!)}`,
      ];
    }),
  };
}

export const browserCheckBenchmark: Benchmark = {
  name: 'browser',
  title: 'Browser check: overhead per run and memory per context',
  run: ({ quick, log }) =>
    withStops(async (onStop) => {
      const o = plan(quick);
      const targets = await startTargets([], { shop: true });
      onStop(() => targets.close());
      const shop = targets.shop!;
      const artifacts = tempDir('vendorwatch-bench-artifacts-');
      onStop(() => rmSync(artifacts, { recursive: true, force: true }));
      const vendorwatch = await vendorwatchOn(configYaml(shop, artifacts));
      onStop(() => vendorwatch.close());
      // The probe's Chromium, as `vendorwatch run` configures it, with room for the most contexts measured.
      configureRunners({ logger: createLogger('silent'), browserConcurrency: Math.max(...o.contexts) });
      onStop(() => closeRunners());
      const bare = await bareChromium();
      onStop(() => bare.browser.close());

      const playwrightVersion = `playwright-core ${(createRequire(import.meta.url)('playwright-core/package.json') as { version: string }).version}`;
      const vendorFor = (s: Scenario) => vendorwatch.config.vendors.find((v) => v.name === s.vendor)!;
      const traced = vendorwatchContender(vendorwatch, true);
      const untraced = vendorwatchContender(vendorwatch, false);
      const plain: BrowserContender = {
        name: 'bare playwright-core',
        version: playwrightVersion,
        command:
          'browser.newContext({ baseURL }) → newPage() → the same transaction script, its steps timed with performance.now() → page load: read loadEventEnd in the page → context.close(); on a long-lived Chromium of its own',
        run: (s) => bareRun(bare.browser, shop.url, vendorFor(s), s),
      };
      const contenders = [traced, untraced, plain];
      const cli = vendorwatch.command<Scenario>((s) => checkName(s, true));

      log(`warm-up: ${o.warmupRounds} unrecorded round(s)`);
      await steadyState(contenders, o.warmupRounds);
      const first = await firstRuns(
        [
          {
            name: traced.name,
            includes: "the probe's Chromium closed before each sample, so the run launches it",
            steady: traced,
            run: async () => {
              await closeRunners();
              return timed(() => traced.run(PAGE_LOAD));
            },
          },
          {
            name: plain.name,
            includes: 'chromium.launch() with the same flags, the run, then close (not timed)',
            steady: plain,
            run: async () => {
              const t0 = performance.now();
              const fresh = await bareChromium();
              try {
                const run = await timed(() => bareRun(fresh.browser, shop.url, vendorFor(PAGE_LOAD), PAGE_LOAD));
                return { ...run, wallMs: performance.now() - t0, launchMs: fresh.launchMs };
              } finally {
                await fresh.browser.close();
              }
            },
          },
          {
            name: cli.name,
            includes: 'a new Node process that launches Chromium, runs the check and closes Chromium',
            steady: traced,
            run: () =>
              timed(async () => {
                const s = await cli.run(PAGE_LOAD);
                return { ok: s.ok, ...(s.total !== undefined && { reportedMs: s.total * 1000 }), ...(s.message && { message: s.message }) };
              }),
          },
        ],
        o.firstRuns,
        log,
      );
      log(`steady state: ${o.rounds} round(s) of every scenario per contender`);
      const steady = await steadyState(contenders, o.rounds);
      const memory = await memoryRounds(
        [
          { contender: traced, pid: () => probeChromium().pid },
          { contender: untraced, pid: () => probeChromium().pid },
          { contender: plain, pid: () => bare.pid },
        ],
        o,
        log,
      );
      const measures = new Set([...memory.values()].flat(2).map((f) => f.memory.measure));
      const measured = measures.has('RSS') ? 'RSS (PSS could not be read for some processes)' : 'PSS';
      const chromiumVersion = `Chromium ${bare.browser.version()} (Debian, /usr/bin/chromium)`;

      return {
        method: [
          "Target: the lab shop (lab/shop.ts) and its payment vendor on another port, in a Node process of their own on 127.0.0.1 (bench/targets.ts), so serving never shares an event loop with the check. Vendors: `lab-shop` (the shop's host) and `payco` (the payment vendor's).",
          `Browser: ${chromiumVersion} driven by ${playwrightVersion}, headless, with the project's flags (--no-sandbox --disable-gpu --disable-background-networking --disable-component-update --disable-sync --no-first-run). vendorwatch runs on the probe's own long-lived Chromium (agent/probe/checks/browser/chromium.ts); bare playwright-core on another one launched with the same flags, both running throughout.`,
          `Scenarios: **page load** (bench/transactions/page-load.ts: one step, \`page.goto('/')\`, which waits for the load event); **checkout** (config/transactions/shop-checkout.ts, the browser-check tests' transaction: 4 steps over 5 pages, the payment vendor's script and a call to its API). The page's own time: for page load, Navigation Timing \`loadEventEnd\` read inside the page (vendorwatch: its in-page reporter's record in \`details.pages\`; bare: \`page.evaluate\` after the script); for checkout, the script's step durations added up (vendorwatch: \`details.steps\`; bare: the same \`step()\` timed with performance.now()).`,
          `Steady state: ${o.warmupRounds ? `${o.warmupRounds} unrecorded warm-up round(s), then ` : ''}${o.rounds} rounds; in each round every scenario runs once per contender, one run at a time, contenders in an order that rotates each round. Wall time is performance.now() around the whole call in the benchmark process (for vendorwatch, \`runCheck\` from call to CheckResult). Differences and ratios against bare playwright-core are taken round by round, then summarised as median (p10–p90).`,
          `First run: ${o.firstRuns} sample(s) per contender of the page-load scenario, with no Chromium running yet, contenders interleaved; compared with the same contender's steady-state page-load median.`,
          `Memory: ${o.memoryRounds} round(s), contenders rotating; per contender, the Chromium process tree idle, then with ${o.contexts.join(', ')} contexts open at once, each running the page-load scenario and holding there with its page loaded (vendorwatch: real check runs, so its context options, request attribution and web-vitals reporter, and tracing unless off; bare: newContext → newPage → goto). Measured ${o.settleMs} ms after the last page loaded: the sum of ${measured} over Chromium's main process and all its descendants (/proc/PID/smaps_rollup), in MiB. The slope is the least-squares fit of that sum over the numbers of contexts, per round.`,
        ],
        tables: [
          {
            heading: 'Contenders',
            table: contendersTable([...contenders, { name: cli.name, version: cli.version, command: `${cli.command}; first-run table only` }]),
          },
          { heading: 'Time per run, steady state (ms, median unless a range)', table: timeTable(steady) },
          { heading: 'Overhead per run, steady state (ms, median (p10–p90))', table: overheadTable(steady, plain) },
          { heading: 'First run: Chromium not running yet (page load, ms)', table: firstRunTable(first, steady) },
          { heading: `Memory of the Chromium process tree by open contexts (${measured}, MiB, median over rounds)`, table: memoryTable(memory, o.contexts) },
        ],
        notes: [
          "“wall − page's own time” is everything a run costs beyond what the page itself takes: creating and closing the context, Playwright's round trips, and (for vendorwatch) attaching the recorder, tracing, collecting the in-page records and building the result. “wall − check's reported total” is the part outside the check's own clock (its total starts when the script starts).",
          'vendorwatch records a Playwright trace (screenshots and DOM snapshots) of every run by default and keeps it only when the run fails (`artifacts.trace: true`); the trace-off row shows what recording costs on runs that pass.',
          "The probe relaunches its Chromium after 500 contexts (agent/probe/checks/browser/chromium.ts), and after a crash or hang: one first-run's extra cost per 500 runs in steady state.",
          "Memory counts Chromium's processes only. Playwright's driver side runs inside the Node process (the probe's), which is not counted; Chromium's crash handlers leave the tree (re-parented to init) and are a fixed few MiB per browser, not per context. Contexts closed just before a measurement may still be giving memory back.",
          'The machine is shared and its load varies: compare contenders by the differences and ratios taken in the same round, not numbers across runs.',
        ],
      };
    }),
};
