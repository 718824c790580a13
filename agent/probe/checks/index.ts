/**
 * The runtime of every check kind: its runner and the recording of its own metrics, each from the
 * kind's folder. The type makes a kind of config/checks/index.ts without a runtime here, or with
 * one of the wrong kind, a compile error.
 */
import type { Check } from '../../../config/schema.ts';
import type { CheckKind, CheckResult, ResultOfKind } from '../../../config/result.ts';
import type { Logger } from '../../log.ts';
import { closeProbeChromium, configureProbeChromium } from './browser/chromium.ts';
import { record as recordBrowser } from './browser/metrics.ts';
import { runBrowserCheck } from './browser/run.ts';
import type { CheckContext, CheckRunner } from './check.ts';
import { record as recordDns } from './dns/metrics.ts';
import { runDnsCheck } from './dns/run.ts';
import { record as recordHttp } from './http/metrics.ts';
import { runHttpCheck } from './http/run.ts';

interface KindRuntime<K extends CheckKind> {
  run: CheckRunner<K>;
  /** Records the kind's own metrics from a result's details (the common ones are recorded for every kind). */
  record: (result: ResultOfKind<K>) => void;
}

const runtimes: { [K in CheckKind]: KindRuntime<K> } = {
  http: { run: runHttpCheck, record: recordHttp },
  dns: { run: runDnsCheck, record: recordDns },
  browser: { run: runBrowserCheck, record: recordBrowser },
};

// A check's kind picks its runtime, so each gets its own kind (which TypeScript cannot follow through the lookup).
export function runCheck(check: Check, ctx: CheckContext): Promise<CheckResult> {
  return (runtimes[check.kind].run as (check: Check, ctx: CheckContext) => Promise<CheckResult>)(check, ctx);
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
