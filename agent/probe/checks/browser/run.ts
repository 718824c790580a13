/**
 * A browser transaction check: runs the user's Playwright script in a fresh context of the
 * probe's Chromium, times its named steps, attributes every request to a vendor, and on failure
 * keeps a screenshot and a trace. A slow step or vendor makes a passing run degraded.
 */
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BrowserContext, BrowserContextOptions } from 'playwright-core';
import type { BrowserCheck, BrowserDetails } from '../../../../config/checks/browser.ts';
import { hostMatches } from '../../../../config/hosts.ts';
import type { Reason, ResultOfKind } from '../../../../config/result.ts';
import type { Transaction } from '../../../../config/checks/browserTransaction.ts';
import { CHROMIUM_EXITED, ChromiumUnavailable, NoFreeContext, probeChromium, type ContextLease } from './chromium.ts';
import { pruneRuns, runFolder } from './failureArtifacts.ts';
import { errorText, TransactionRecorder, within } from './transactionRecorder.ts';
import { fail, newResult, type CheckContext } from '../check.ts';

type BrowserResult = ResultOfKind<'browser'>;

/** How the script ended. */
type Outcome = { kind: 'passed' } | { kind: 'threw'; error: unknown } | { kind: 'out_of_time' } | { kind: 'aborted' };

/** Part of the timeout kept for flushing, artifacts and closing: a quarter of it, 1 s to 5 s. */
function artifactReserveMs(timeoutMs: number): number {
  return Math.min(5000, Math.max(1000, timeoutMs / 4));
}

/** Chromium network errors of a failed navigation, mapped to the reasons other check kinds use. */
const NET_REASONS: [RegExp, Exclude<Reason, 'ok'>][] = [
  [/net::ERR_NAME_NOT_RESOLVED|net::ERR_NAME_RESOLUTION_FAILED/, 'dns'],
  [/net::ERR_CONNECTION_REFUSED|net::ERR_ADDRESS_UNREACHABLE|net::ERR_CONNECTION_FAILED/, 'connect'],
  [/net::ERR_CONNECTION_RESET|net::ERR_CONNECTION_CLOSED|net::ERR_EMPTY_RESPONSE/, 'reset'],
  [/net::ERR_CERT_|net::ERR_SSL_/, 'tls'],
  [/net::ERR_TIMED_OUT|net::ERR_CONNECTION_TIMED_OUT/, 'timeout'],
];

function reasonForScriptError(message: string): Exclude<Reason, 'ok'> {
  const firstLine = message.split('\n')[0] ?? '';
  return NET_REASONS.find(([pattern]) => pattern.test(firstLine))?.[1] ?? 'script';
}

/**
 * The compiled CLI (dist/) runs without a TypeScript loader. Node ≥ 22.18 strips a .ts script's
 * types itself; older Node gets tsx (a dev dependency) registered on the first such script, where
 * it is installed. vitest and the tsx fallback of bin/vendorwatch.js load .ts on their own.
 */
let tsxRegistered = false;

async function importScript(file: string): Promise<unknown> {
  const url = pathToFileURL(file).href;
  try {
    return await import(url);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw err;
    if (!tsxRegistered) {
      const tsx = await import('tsx/esm/api').catch(() => {
        throw new Error(`Node ${process.version} cannot run a TypeScript script without tsx installed (npm i tsx): use Node ≥ 22.18 or a .js script`);
      });
      tsx.register();
      tsxRegistered = true;
    }
    // Node remembers the failed import of this URL; the query makes it a new one.
    return import(`${url}?typescript`);
  }
}

async function loadTransaction(file: string): Promise<Transaction> {
  // Node caches the module per path.
  const module = (await importScript(file)) as { default?: unknown };
  if (typeof module.default !== 'function') throw new Error('it has no default export function');
  return module.default as Transaction;
}

function contextOptions(check: BrowserCheck): BrowserContextOptions {
  return {
    viewport: check.viewport,
    baseURL: check.base_url,
    // Service workers would answer requests out of sight of routing and timing.
    serviceWorkers: 'block',
    acceptDownloads: false,
  };
}

/** Whether the check lets a request out: `block` wins, then `allow` (when set) must match. */
function allowed(check: BrowserCheck, url: string): boolean {
  let host: string;
  let port: string;
  try {
    const u = new URL(url);
    host = u.hostname.replace(/^\[|\]$/g, '');
    port = u.port;
  } catch {
    return true;
  }
  if (check.block.some((p) => hostMatches(p, host, port))) return false;
  return !check.allow || check.allow.some((p) => hostMatches(p, host, port));
}

export async function runBrowserCheck(check: BrowserCheck, ctx: CheckContext): Promise<BrowserResult> {
  const result = newResult(check, ctx.probe);
  const started = performance.now();
  let transaction: Transaction;
  try {
    transaction = await loadTransaction(check.script);
  } catch (err) {
    return fail(result, 'script', `cannot load transaction script ${check.script}: ${errorText(err, 1)}`);
  }
  try {
    return await probeChromium().withContext(contextOptions(check), ctx.signal, (context, lease) =>
      runTransaction({ check, ctx, context, lease, result, transaction, started }),
    );
  } catch (err) {
    if (err instanceof NoFreeContext || err instanceof ChromiumUnavailable) return fail(result, 'internal', err.message);
    if (ctx.signal.aborted) return fail(result, 'timeout', `aborted at the check timeout (${check.timeout} ms); the browser did not answer`);
    return fail(result, 'internal', `browser check failed: ${errorText(err, 1)}`);
  }
}

interface Run {
  check: BrowserCheck;
  ctx: CheckContext;
  context: BrowserContext;
  lease: ContextLease;
  result: BrowserResult;
  transaction: Transaction;
  /** performance.now() when the run began; the timeout counts from here. */
  started: number;
}

async function runTransaction({ check, ctx, context, lease, result, transaction, started }: Run): Promise<BrowserResult> {
  const deadline = started + check.timeout - artifactReserveMs(check.timeout);
  const recorder = new TransactionRecorder(ctx.vendors);
  await recorder.attach(context);
  if (check.block.length || check.allow) {
    await context.route('**/*', (route) => {
      if (allowed(check, route.request().url())) return route.continue();
      recorder.markBlocked(route.request());
      return route.abort('blockedbyclient');
    });
  }
  context.setDefaultTimeout(Math.max(1, Math.min(check.action_timeout, deadline - performance.now())));
  const tracing = check.artifacts.trace && check.artifacts.keep > 0;
  if (tracing) await context.tracing.start({ screenshots: true, snapshots: true });
  const page = await context.newPage();
  const vendor = ctx.vendors.find((v) => v.name === check.vendor)!;

  const stop = new AbortController();
  recorder.begin();
  const script = Promise.resolve()
    .then(() => transaction({ page, context, step: recorder.step, vendor, signal: stop.signal }))
    .then(
      (): Outcome => ({ kind: 'passed' }),
      (error: unknown): Outcome => ({ kind: 'threw', error }),
    );
  const outcome = await untilDone(script, deadline - performance.now(), ctx.signal);
  stop.abort();
  const totalSeconds = recorder.elapsedSeconds();
  const timeLeft = () => started + check.timeout - performance.now();

  if (outcome.kind !== 'aborted') await recorder.flush(context, Math.max(100, Math.min(1000, timeLeft() / 4)));
  recorder.stop();
  const details: BrowserDetails = { script: basename(check.script), ...recorder.details(), slow: [] };
  result.phases = { ...recorder.firstNavigationPhases(), total: Math.round(totalSeconds * 1e4) / 1e4 };
  result.details = details;
  const step = recorder.failedStep();
  const inStep = step ? ` in step "${step}"` : '';

  if (outcome.kind === 'passed') return judge(check, result, details, totalSeconds * 1000);
  if (lease.browserExited()) return fail(result, 'internal', CHROMIUM_EXITED);
  if (outcome.kind === 'aborted') return fail(result, 'timeout', `aborted at the check timeout (${check.timeout} ms)${inStep}${pendingText(details)}`);

  if (step) details.failedStep = step;
  let reason: Exclude<Reason, 'ok'> = 'timeout';
  let message = `timed out${inStep} after ${Math.round(deadline - started)} ms${pendingText(details)}`;
  if (outcome.kind === 'threw') {
    details.error = errorText(outcome.error, 8);
    reason = reasonForScriptError(details.error);
    message = `${step ? `step "${step}" failed` : 'script failed'}: ${errorText(outcome.error, 1)}${failedText(details)}${pendingText(details)}`;
  }
  details.artifacts = await saveArtifacts(check, context, result, tracing, Math.max(200, timeLeft() - 200));
  return fail(result, reason, message);
}

/** The script's outcome, or out_of_time at the deadline, or aborted when the scheduler aborts. */
function untilDone(script: Promise<Outcome>, msLeft: number, signal: AbortSignal): Promise<Outcome> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort = () => {};
  return Promise.race([
    script,
    new Promise<Outcome>((resolve) => {
      timer = setTimeout(() => resolve({ kind: 'out_of_time' }), Math.max(0, msLeft));
    }),
    new Promise<Outcome>((resolve) => {
      onAbort = () => resolve({ kind: 'aborted' });
      if (signal.aborted) onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
    }),
  ]).finally(() => {
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
  });
}

/** Screenshot of the page the run ended on and the trace, within `msLeft`; what could not be saved is left out. */
async function saveArtifacts(
  check: BrowserCheck,
  context: BrowserContext,
  result: BrowserResult,
  tracing: boolean,
  msLeft: number,
): Promise<BrowserDetails['artifacts']> {
  if (check.artifacts.keep === 0 || (!tracing && !check.artifacts.screenshot)) return undefined;
  const dir = await runFolder(check.artifacts, check.name, result.startedAt, result.id);
  const page = context.pages().at(-1);
  const screenshot = join(dir, 'screenshot.png');
  const trace = join(dir, 'trace.zip');
  const [shot, traced] = await Promise.all([
    check.artifacts.screenshot && page
      ? within(page.screenshot({ path: screenshot, timeout: msLeft }), msLeft).then(
          () => screenshot,
          () => undefined,
        )
      : undefined,
    tracing
      ? within(context.tracing.stop({ path: trace }), msLeft).then(
          () => trace,
          () => undefined,
        )
      : undefined,
  ]);
  await pruneRuns(check.artifacts, check.name).catch(() => {});
  return { dir, ...(shot ? { screenshot: shot } : {}), ...(traced ? { trace: traced } : {}) };
}

/** Marks a passing run degraded when it crossed a threshold, naming the step and vendor. */
function judge(check: BrowserCheck, result: BrowserResult, details: BrowserDetails, totalMs: number): BrowserResult {
  const { thresholds } = check;
  if (thresholds.total !== undefined && totalMs > thresholds.total) {
    details.slow.push({ kind: 'total', name: 'total', durationMs: Math.round(totalMs), thresholdMs: thresholds.total });
  }
  for (const s of details.steps) {
    const limit = thresholds.steps[s.name];
    if (limit === undefined || s.durationMs <= limit) continue;
    const vendor = Object.entries(s.vendors).sort(([, a], [, b]) => b.slowestMs - a.slowestMs)[0]?.[0];
    details.slow.push({ kind: 'step', name: s.name, durationMs: s.durationMs, thresholdMs: limit, ...(vendor ? { vendor } : {}) });
  }
  for (const [vendor, limit] of Object.entries(thresholds.vendors)) {
    const slowest = details.slowest[vendor];
    if (slowest?.durationMs !== undefined && slowest.durationMs > limit) {
      details.slow.push({ kind: 'vendor', name: vendor, durationMs: slowest.durationMs, thresholdMs: limit, vendor });
    }
  }
  if (!details.slow.length) return result;
  const said = details.slow.map((s) => {
    if (s.kind === 'vendor') {
      const r = details.slowest[s.name]!;
      return `${s.name} slow: ${r.url} took ${s.durationMs} ms${r.step ? ` in step "${r.step}"` : ''} (threshold ${s.thresholdMs} ms)`;
    }
    const slowestVendor = s.vendor
      ? `; slowest vendor in it: ${s.vendor} (${details.steps.find((st) => st.name === s.name)?.vendors[s.vendor]?.slowestMs} ms)`
      : '';
    return `${s.kind === 'step' ? `step "${s.name}"` : 'transaction'} took ${s.durationMs} ms (threshold ${s.thresholdMs} ms)${slowestVendor}`;
  });
  return { ...result, degraded: true, message: said.join('; ').slice(0, 2000) };
}

function failedText(details: BrowserDetails): string {
  const shown = details.failedRequests.slice(0, 3).map((f) => `${f.vendor} ${f.status ? `HTTP ${f.status}` : f.error} ${f.method} ${f.url}`);
  return shown.length ? ` (failed requests: ${shown.join(', ')}${details.failedRequests.length > 3 ? ', …' : ''})` : '';
}

function pendingText(details: BrowserDetails): string {
  const shown = details.pendingRequests.slice(0, 3).map((p) => `${p.vendor} ${p.method} ${p.url} for ${p.durationMs} ms`);
  return shown.length ? ` (still waiting for ${shown.join(', ')})` : '';
}
