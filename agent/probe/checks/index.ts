/**
 * The runtime of every check kind: its runner and the recording of its own metrics, each from the
 * kind's folder. The type makes a kind of config/checks/index.ts without a runtime here, or with
 * one of the wrong kind, a compile error.
 *
 * A kind's runner is loaded when first needed (`loadRunners`), so `vendorwatch check` of an http
 * check never loads the DNS client or the browser check. Its metrics module loads here, as
 * before: every kind's metric families are on a probe's /metrics from the first scrape.
 */
import type { Check } from '../../../config/schema.ts';
import type { CheckKind, CheckResult, ResultOfKind } from '../../../config/result.ts';
import type { Logger } from '../../log.ts';
import { closeProbeChromium, configureProbeChromium } from './browser/chromium.ts';
import { record as recordBrowser } from './browser/metrics.ts';
import type { CheckContext, CheckRunner } from './check.ts';
import { record as recordDns } from './dns/metrics.ts';
import { record as recordHttp } from './http/metrics.ts';

interface KindRuntime<K extends CheckKind> {
  run: () => Promise<CheckRunner<K>>;
  /** Records the kind's own metrics from a result's details (the common ones are recorded for every kind). */
  record: (result: ResultOfKind<K>) => void;
}

const runtimes: { [K in CheckKind]: KindRuntime<K> } = {
  http: { run: async () => (await import('./http/run.ts')).runHttpCheck, record: recordHttp },
  dns: { run: async () => (await import('./dns/run.ts')).runDnsCheck, record: recordDns },
  browser: { run: async () => (await import('./browser/run.ts')).runBrowserCheck, record: recordBrowser },
};

const runners: { [K in CheckKind]?: Promise<CheckRunner<K>> } = {};

function runnerOf<K extends CheckKind>(kind: K): Promise<CheckRunner<K>> {
  return ((runners[kind] as Promise<CheckRunner<K>> | undefined) ??= (runtimes[kind] as KindRuntime<K>).run());
}

/** Loads the runners of these kinds (every kind by default) before checks run, so that no run's time or timeout includes it. */
export async function loadRunners(kinds: Iterable<CheckKind> = Object.keys(runtimes) as CheckKind[]): Promise<void> {
  await Promise.all([...new Set(kinds)].map(runnerOf));
}

// A check's kind picks its runtime, so each gets its own kind (which TypeScript cannot follow through the lookup).
export async function runCheck(check: Check, ctx: CheckContext): Promise<CheckResult> {
  const run = (await runnerOf(check.kind)) as (check: Check, ctx: CheckContext) => Promise<CheckResult>;
  return run(check, ctx);
}

export function recordKindMetrics(result: CheckResult): void {
  (runtimes[result.kind].record as (result: CheckResult) => void)(result);
}

/** What check kinds share across runs on one probe (its Chromium); set once at start. */
export function configureRunners(opts: { logger: Logger; browserConcurrency: number }): void {
  configureProbeChromium({ logger: opts.logger, concurrency: opts.browserConcurrency });
}

/** Releases what check kinds keep between runs; call after the scheduler stopped. */
export async function closeRunners(): Promise<void> {
  await closeProbeChromium();
}
