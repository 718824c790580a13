import type { Check, Vendor } from '../../config/schema.ts';
import type { CheckResult } from '../../config/result.ts';
import type { Logger } from '../log.ts';
import { checksInFlight, checkSkips } from './metrics.ts';
import { fail, newResult, type CheckContext, type ProbeIdentity } from './checks/check.ts';
import { runCheck } from './checks/index.ts';

interface SchedulerOptions {
  checks: readonly Check[];
  vendors: readonly Vendor[];
  probe: ProbeIdentity;
  logger: Logger;
  /** Check runs in flight at once, across all checks. */
  concurrency: number;
  onResult: (result: CheckResult) => void;
  /** Replaceable for tests. */
  run?: (check: Check, ctx: CheckContext) => Promise<CheckResult>;
  random?: () => number;
  /** How long past its timeout a check that ignores its abort signal is waited for. */
  graceMs?: number;
}

/**
 * Runs every check on its interval. Starts are spread by a random offset within the first
 * interval; a check never overlaps itself (a run still going when the next is due is skipped
 * and counted); at most `concurrency` runs are in flight; every run has a hard timeout.
 */
export class Scheduler {
  private readonly shutdown = new AbortController();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly running = new Map<string, Promise<CheckResult | undefined>>();
  private readonly waiting: (() => void)[] = [];
  private inFlight = 0;
  private readonly run: NonNullable<SchedulerOptions['run']>;
  private readonly random: () => number;
  private readonly graceMs: number;

  constructor(private readonly opts: SchedulerOptions) {
    this.run = opts.run ?? runCheck;
    this.random = opts.random ?? Math.random;
    this.graceMs = opts.graceMs ?? 1000;
  }

  start(): void {
    const now = Date.now();
    for (const check of this.opts.checks) this.schedule(check, now + Math.floor(this.random() * check.interval));
  }

  /** Stops scheduling, aborts runs in flight and waits for them to settle. */
  async stop(): Promise<void> {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.shutdown.abort();
    for (const release of this.waiting.splice(0)) release();
    await Promise.allSettled([...this.running.values()]);
  }

  /** Runs one check now, with its timeout and the concurrency limit; undefined if shut down. */
  async runOnce(check: Check): Promise<CheckResult | undefined> {
    await this.acquire();
    if (this.shutdown.signal.aborted) return undefined;
    try {
      return await this.runWithTimeout(check);
    } finally {
      this.release();
    }
  }

  private schedule(check: Check, at: number): void {
    const timer = setTimeout(
      () => {
        this.timers.delete(check.name);
        this.tick(check);
        let next = at + check.interval;
        // After a long stall (suspended host), skip the missed slots instead of bursting.
        if (next <= Date.now()) next += Math.ceil((Date.now() - next + 1) / check.interval) * check.interval;
        if (!this.shutdown.signal.aborted) this.schedule(check, next);
      },
      Math.max(0, at - Date.now()),
    );
    this.timers.set(check.name, timer);
  }

  private tick(check: Check): void {
    if (this.running.has(check.name)) {
      checkSkips.inc({ vendor: check.vendor, check: check.name });
      this.opts.logger.warn({ check: check.name }, 'previous run still in progress; skipping this one');
      return;
    }
    const run = this.runOnce(check).then((result) => {
      if (result) this.opts.onResult(result);
      return result;
    });
    this.running.set(check.name, run);
    run.catch((err) => this.opts.logger.error({ err, check: check.name }, 'result handler failed')).finally(() => this.running.delete(check.name));
  }

  private async runWithTimeout(check: Check): Promise<CheckResult | undefined> {
    // One controller per run, aborted at the timeout or on shutdown. (Not AbortSignal.any on the
    // long-lived shutdown signal: that keeps a reference per run on Node 20.)
    const abort = new AbortController();
    const signal = abort.signal;
    const timers: NodeJS.Timeout[] = [];
    const after = <T>(ms: number, fn: () => T) => new Promise<T>((resolve) => timers.push(setTimeout(() => resolve(fn()), ms)));
    const started = Date.now();
    let onShutdown = () => {};
    checksInFlight.inc();
    try {
      void after(check.timeout, () => abort.abort(new DOMException(`check timed out after ${check.timeout} ms`, 'TimeoutError')));
      const ctx: CheckContext = { signal, probe: this.opts.probe, logger: this.opts.logger.child({ check: check.name }), vendors: this.opts.vendors };
      const result = await Promise.race([
        this.run(check, ctx).catch((err: Error) => fail(newResult(check, this.opts.probe, started), 'internal', `check crashed: ${err?.message ?? err}`)),
        // A check that ignores its signal still ends here, so it can never stall the scheduler.
        after(check.timeout + this.graceMs, () =>
          fail(newResult(check, this.opts.probe, started), 'timeout', `no result within ${check.timeout} ms (the check did not stop when aborted)`),
        ),
        new Promise<undefined>((resolve) => {
          onShutdown = () => {
            abort.abort(new DOMException('probe shutting down', 'AbortError'));
            resolve(undefined);
          };
          this.shutdown.signal.addEventListener('abort', onShutdown, { once: true });
        }),
      ]);
      // A run cut short by shutdown says nothing about the vendor; don't report it.
      return this.shutdown.signal.aborted ? undefined : result;
    } finally {
      for (const t of timers) clearTimeout(t);
      this.shutdown.signal.removeEventListener('abort', onShutdown);
      checksInFlight.dec();
    }
  }

  private acquire(): Promise<void> {
    if (this.inFlight < this.opts.concurrency || this.shutdown.signal.aborted) {
      this.inFlight++;
      return Promise.resolve();
    }
    return new Promise((resolve) =>
      this.waiting.push(() => {
        this.inFlight++;
        resolve();
      }),
    );
  }

  private release(): void {
    this.inFlight--;
    this.waiting.shift()?.();
  }
}
