import type { Check } from '../../../config/schema.ts';
import type { CheckResult } from '../../../config/result.ts';
import type { Logger } from '../../log.ts';
import { closeProbeChromium, configureProbeChromium } from '../chromium.ts';
import { runBrowserCheck } from './browser.ts';
import type { CheckContext, CheckRunner } from './check.ts';
import { runDnsCheck } from './dns.ts';
import { runHttpCheck } from './http.ts';

/** One runner per check kind; the type makes a kind without a runner a compile error. */
const runners: { [K in Check['kind']]: CheckRunner<Extract<Check, { kind: K }>> } = {
  http: runHttpCheck,
  dns: runDnsCheck,
  browser: runBrowserCheck,
};

export function runCheck(check: Check, ctx: CheckContext): Promise<CheckResult> {
  return (runners[check.kind] as CheckRunner)(check, ctx);
}

/** What check kinds share across runs on one probe (its Chromium); set once at start. */
export function configureRunners(opts: { logger: Logger; browserConcurrency: number }): void {
  configureProbeChromium({ logger: opts.logger, concurrency: opts.browserConcurrency });
}

/** Releases what check kinds keep between runs; call after the scheduler stopped. */
export async function closeRunners(): Promise<void> {
  await closeProbeChromium();
}
