/**
 * The probe's one long-lived Chromium (Debian's, driven by playwright-core). Browser checks borrow
 * a fresh context from it per run. It is launched on first use, relaunched when it exits or stops
 * answering, replaced after many runs so slow leaks inside Chromium cannot grow forever, and
 * closed on probe shutdown.
 */
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import type { Browser, BrowserContext, BrowserContextOptions } from 'playwright-core';
import { createLogger, type Logger } from '../../../log.ts';
import { browserContexts, browserLaunches } from './metrics.ts';

const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

interface ChromiumOptions {
  /** Contexts open at once, at most; more runs wait for a free one. */
  concurrency: number;
  logger: Logger;
  executablePath?: string;
  /** Creating or closing a context taking longer than this means Chromium hangs: it is killed and relaunched. */
  hangAfterMs?: number;
  /** Contexts one Chromium serves before it is replaced. */
  recycleAfter?: number;
}

export const CHROMIUM_EXITED = 'Chromium exited during the run; it says nothing about the site and is restarted for the next run';

/** Chromium could not give a context (launch failed, or it hung or died twice in a row). */
export class ChromiumUnavailable extends Error {
  override name = 'ChromiumUnavailable';
}

/** The run did not return soon after it was aborted. */
class RunAbandoned extends Error {
  override name = 'RunAbandoned';
}

/** How long an aborted run may take to return its own result. */
const ABANDON_AFTER_MS = 250;

/** `running`, unless it is still going ABANDON_AFTER_MS after `signal` aborted. */
function untilAbandoned<T>(running: Promise<T>, signal: AbortSignal): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort = () => {};
  const abandoned = new Promise<never>((_, reject) => {
    onAbort = () => {
      timer = setTimeout(() => reject(new RunAbandoned('the run did not stop when aborted; its context is being closed')), ABANDON_AFTER_MS);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([running, abandoned]).finally(() => {
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
  });
}

/** No context became free before the run was aborted. */
export class NoFreeContext extends Error {
  override name = 'NoFreeContext';
}

type LaunchReason = 'start' | 'crash' | 'hang' | 'recycle';

interface Instance {
  browser: Browser;
  /** The main Chromium process, which leads its own process group; undefined where /proc is missing. */
  pid: number | undefined;
  open: number;
  served: number;
  /** Gives out no more contexts; closes when its last one closes. */
  retired: boolean;
  /** Exited, or killed by us. */
  exited: boolean;
}

/** What a run can ask about the Chromium its context lives in. */
export interface ContextLease {
  /** True once that Chromium exited (crash or kill) — the run's failure is then not the site's. */
  browserExited(): boolean;
}

export class Chromium {
  /** The Chromium new contexts come from (launching or running); undefined until one is needed. */
  private current: Promise<Instance> | undefined;
  private currentInstance: Instance | undefined;
  private nextLaunch: LaunchReason = 'start';
  private readonly instances = new Set<Instance>();
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  private closed = false;
  private readonly hangAfterMs: number;
  private readonly recycleAfter: number;

  constructor(private readonly opts: ChromiumOptions) {
    this.hangAfterMs = opts.hangAfterMs ?? 15_000;
    this.recycleAfter = opts.recycleAfter ?? 500;
    outliveDispatchRace(opts.logger);
  }

  /** The running main Chromium process id, if any (for diagnostics and tests). */
  get pid(): number | undefined {
    return [...this.instances].find((i) => !i.retired && !i.exited)?.pid;
  }

  /** Contexts open right now, across every Chromium this pool runs. */
  get openContexts(): number {
    return [...this.instances].reduce((n, i) => n + i.open, 0);
  }

  /**
   * Runs `use` with a fresh context, closed afterwards whatever happens. When `signal` aborts, `use`
   * has a moment to return its own result; if it does not (Chromium stopped answering), this gives
   * up with RunAbandoned. Either way the context is closed in the background, its slot taken until
   * it is, so a hung run never holds the caller.
   */
  async withContext<T>(options: BrowserContextOptions, signal: AbortSignal, use: (context: BrowserContext, lease: ContextLease) => Promise<T>): Promise<T> {
    await this.acquire(signal);
    let leased: { instance: Instance; context: BrowserContext } | undefined;
    try {
      leased = await this.newContext(options, signal);
      const { instance } = leased;
      return await untilAbandoned(use(leased.context, { browserExited: () => instance.exited }), signal);
    } catch (err) {
      if (leased?.instance.exited) throw new ChromiumUnavailable(CHROMIUM_EXITED);
      throw err;
    } finally {
      const closing = (leased ? this.closeContext(leased.instance, leased.context) : Promise.resolve()).finally(() => this.release());
      if (!signal.aborted) await closing;
    }
  }

  /** Closes every Chromium; later runs fail. */
  async close(): Promise<void> {
    this.closed = true;
    this.forget();
    await Promise.all([...this.instances].map((i) => this.shutdown(i)));
  }

  private async newContext(options: BrowserContextOptions, signal: AbortSignal): Promise<{ instance: Instance; context: BrowserContext }> {
    // A Chromium that died or hung since the last run is noticed here; one relaunch, then give up.
    for (let attempt = 1; ; attempt++) {
      const instance = await this.running();
      try {
        const context = await this.answered(instance, instance.browser.newContext(options), 'opening a context');
        instance.open++;
        instance.served++;
        browserContexts.inc();
        if (instance.served >= this.recycleAfter) this.retire(instance);
        return { instance, context };
      } catch (err) {
        if (attempt >= 2 || signal.aborted || !instance.exited) throw new ChromiumUnavailable(`Chromium gave no context: ${(err as Error).message}`);
      }
    }
  }

  private running(): Promise<Instance> {
    if (this.closed) return Promise.reject(new ChromiumUnavailable('Chromium is shut down'));
    this.current ??= this.launch(this.nextLaunch);
    return this.current;
  }

  /** New contexts come from a new Chromium from now on. */
  private forget(instance?: Instance): void {
    if (instance && instance !== this.currentInstance) return;
    this.current = undefined;
    this.currentInstance = undefined;
  }

  private async launch(reason: LaunchReason): Promise<Instance> {
    const marker = randomUUID();
    let browser: Browser;
    try {
      // playwright-core is large: a probe or `check` without browser checks never loads it.
      const { chromium } = await import('playwright-core');
      browser = await chromium.launch({
        executablePath: this.opts.executablePath ?? '/usr/bin/chromium',
        // The marker finds the process in /proc: playwright-core does not expose it.
        args: [...ARGS, `--vendorwatch-instance=${marker}`],
        // The probe handles its own signals and closes Chromium on shutdown.
        handleSIGINT: false,
        handleSIGTERM: false,
        handleSIGHUP: false,
        timeout: 60_000,
      });
    } catch (err) {
      this.current = undefined;
      throw new ChromiumUnavailable(`cannot start Chromium: ${(err as Error).message.split('\n')[0]}`);
    }
    const instance: Instance = { browser, pid: mainProcess(marker), open: 0, served: 0, retired: false, exited: false };
    this.instances.add(instance);
    this.currentInstance = instance;
    this.nextLaunch = 'start';
    browserLaunches.inc({ reason });
    this.opts.logger.info({ chromiumPid: instance.pid, reason }, 'Chromium started');
    browser.on('disconnected', () => {
      if (!instance.exited && !instance.retired && !this.closed) {
        this.opts.logger.warn({ chromiumPid: instance.pid }, 'Chromium exited; the next run starts a new one');
        this.nextLaunch = 'crash';
      }
      instance.exited = true;
      this.forget(instance);
      if (instance.open === 0) this.instances.delete(instance);
    });
    return instance;
  }

  /** `promise`, unless Chromium takes longer than hangAfterMs: then it is killed and this throws. */
  private async answered<T>(instance: Instance, promise: Promise<T>, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const hung = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.opts.logger.warn({ chromiumPid: instance.pid, what }, 'Chromium stopped answering; killing it');
        this.kill(instance);
        reject(new Error(`Chromium did not answer ${what} within ${this.hangAfterMs} ms`));
      }, this.hangAfterMs);
    });
    try {
      return await Promise.race([promise, hung]);
    } finally {
      clearTimeout(timer);
      promise.catch(() => {});
    }
  }

  private async closeContext(instance: Instance, context: BrowserContext): Promise<void> {
    try {
      if (!instance.exited) await this.answered(instance, context.close(), 'closing a context');
    } catch {
      // Killed as hung; the context went with it.
    } finally {
      instance.open--;
      browserContexts.dec();
      if (instance.exited && instance.open === 0) this.instances.delete(instance);
      if (instance.retired && instance.open === 0) void this.shutdown(instance);
    }
  }

  /** Stops giving out contexts from `instance`; it closes when its last context does. */
  private retire(instance: Instance): void {
    instance.retired = true;
    this.forget(instance);
    this.nextLaunch = 'recycle';
  }

  private async shutdown(instance: Instance): Promise<void> {
    instance.retired = true;
    if (!instance.exited) {
      try {
        await this.answered(instance, instance.browser.close(), 'closing');
      } catch {
        // Killed as hung.
      }
    }
    this.instances.delete(instance);
  }

  /** SIGKILL to the whole process group: the browser, its renderers, zygotes and GPU process. */
  private kill(instance: Instance): void {
    instance.exited = true;
    if (instance === this.currentInstance) this.nextLaunch = 'hang';
    this.forget(instance);
    if (instance.pid === undefined) {
      instance.browser.close().catch(() => {});
      return;
    }
    try {
      process.kill(-instance.pid, 'SIGKILL');
    } catch {
      try {
        process.kill(instance.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }

  private acquire(signal: AbortSignal): Promise<void> {
    if (this.closed) return Promise.reject(new ChromiumUnavailable('Chromium is shut down'));
    if (this.active < this.opts.concurrency) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const take = () => {
        signal.removeEventListener('abort', onAbort);
        this.active++;
        resolve();
      };
      const onAbort = () => {
        this.waiting.splice(this.waiting.indexOf(take), 1);
        reject(new NoFreeContext(`all ${this.opts.concurrency} browser contexts stayed busy (probe.browser_concurrency)`));
      };
      if (signal.aborted) return onAbort();
      this.waiting.push(take);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  private release(): void {
    this.active--;
    this.waiting.shift()?.();
  }
}

/** The Chromium main process started with `marker` on its command line (Linux /proc). */
export function mainProcess(marker: string): number | undefined {
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
        if (args.some((a) => a.endsWith(marker)) && !args.some((a) => a.startsWith('--type='))) return Number(entry);
      } catch {
        // The process ended while we looked.
      }
    }
  } catch {
    // No /proc: hangs are then handled by closing instead of killing.
  }
  return undefined;
}

/** playwright-core's error for an answer that names an object already disposed. */
function isDispatchRace(err: unknown): boolean {
  return err instanceof Error && /^Object with guid \S+ was not bound in the connection$/.test(err.message) && /playwright-core/.test(err.stack ?? '');
}

let outlivingDispatchRace = false;

/**
 * playwright-core throws from its connection's message dispatch, outside any promise a check
 * holds, when a context is closed while an answer naming one of its objects is still on its way
 * (microsoft/playwright#22210). A check abandoned at its timeout closes its context exactly then;
 * that run has already returned its result, so nothing is lost — but the throw must not end the
 * probe. That one error is logged; any other uncaught exception still ends the process, as Node
 * would (left to other listeners, such as a test runner's, when there are any).
 */
function outliveDispatchRace(logger: Logger): void {
  if (outlivingDispatchRace) return;
  outlivingDispatchRace = true;
  process.on('uncaughtException', function onUncaught(err, origin) {
    if (isDispatchRace(err)) {
      logger.warn({ err: (err as Error).message }, 'playwright-core answered for a closed context; ignored');
      return;
    }
    if (process.listenerCount('uncaughtException') > 1) return;
    logger.fatal({ err, origin }, 'uncaught exception');
    process.exit(1);
  });
}

// The probe's shared instance: configured by the CLI at start, closed on shutdown.
let probeOptions: ChromiumOptions | undefined;
let probeInstance: Chromium | undefined;

export function configureProbeChromium(options: ChromiumOptions): void {
  probeOptions = options;
}

export function probeChromium(): Chromium {
  probeInstance ??= new Chromium(probeOptions ?? { concurrency: 2, logger: createLogger('warn') });
  return probeInstance;
}

export async function closeProbeChromium(): Promise<void> {
  const instance = probeInstance;
  probeInstance = undefined;
  await instance?.close();
}
