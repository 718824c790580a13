/**
 * Records what one browser transaction did: its steps, every page's Navigation Timing and web
 * vitals, Resource Timing entries (attributed to vendors by the same code as the beacon), and
 * the requests that failed, were blocked or never finished. In-page numbers come from
 * pageReporter.js; failures and pending requests from Playwright's network events, which see
 * what Resource Timing cannot (network errors, unanswered requests).
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { BrowserContext, Request, Response } from 'playwright-core';
import { z } from 'zod';
import { summarizeResources, vendorForEntry, type ResourceEntryLike } from '../../../../config/resourceTiming.ts';
import { navigationPhases, webVitalNames, type BrowserDetails } from '../../../../config/checks/browser.ts';
import type { VendorHosts } from '../../../../config/hosts.ts';
import type { Phase } from '../../../../config/result.ts';

const BINDING = '__vendorwatch';
const MAX_ENTRIES = 10_000;
const MAX_PAGES = 50;
const MAX_SAMPLES = 100;

// What pageReporter.js sends. Validated: any script in the page can call the binding too.
const num = z.number().finite();
const entrySchema = z.object({
  name: z.string().max(2048),
  initiatorType: z.string().max(64),
  startTime: num,
  duration: num,
  transferSize: num,
  encodedBodySize: num,
  decodedBodySize: num,
  responseStart: num,
  nextHopProtocol: z.string().max(32),
  responseStatus: num,
  serverTiming: z.array(z.object({ name: z.string().max(256), description: z.string().max(256) })).max(32),
});
const pageReportSchema = z.object({
  timeOrigin: num,
  resources: z.array(entrySchema).max(1000),
  navigation: z.object({ url: z.string().max(2048), entry: entrySchema, timing: z.record(z.enum(navigationPhases), num) }).optional(),
  vitals: z.partialRecord(z.enum(webVitalNames), num).optional(),
});
/** What pageReporter.js sends (its JSDoc types are these). */
export type PageReport = z.infer<typeof pageReportSchema>;
export type ReportedEntry = z.infer<typeof entrySchema>;

type Sample = BrowserDetails['failedRequests'][number];
type PageDetails = BrowserDetails['pages'][number];

interface StepRecord {
  name: string;
  /** Wall clock, to place page timestamps (performance.timeOrigin-based) in steps. */
  startedAt: number;
  endedAt?: number;
  /** Monotonic, for durations. */
  t0: number;
  t1?: number;
  /** Undefined while the step runs (or when the run ended inside it). */
  ok?: boolean;
  error?: string;
}

interface TimedEntry extends ResourceEntryLike {
  startedAt: number;
}

interface PageRecord {
  timeOrigin: number;
  url: string;
  step: string | null;
  entry: ResourceEntryLike;
  navigationMs: PageDetails['navigationMs'];
  vitals: PageDetails['vitals'];
}

/** The script the probe injects into every frame: web-vitals' IIFE, then pageReporter.js. */
let pageScript: Promise<string> | undefined;
function loadPageScript(): Promise<string> {
  const webVitalsDir = dirname(createRequire(import.meta.url).resolve('web-vitals'));
  pageScript ??= Promise.all([
    readFile(join(webVitalsDir, 'web-vitals.iife.js'), 'utf8'),
    readFile(new URL('./pageReporter.js', import.meta.url), 'utf8'),
  ]).then(([webVitals, reporter]) => `(function () {\n${webVitals}\n${reporter}\n})();`);
  return pageScript;
}

/** Origin and path: query strings and fragments may carry tokens or personal data. */
function withoutQuery(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return url.split(/[?#]/)[0] ?? '';
  }
}

/** The first lines of an error: Playwright appends long call logs. */
export function errorText(err: unknown, lines = 3): string {
  // Playwright colours its call logs; terminal escapes have no place in a result.
  // eslint-disable-next-line no-control-regex -- the escape character is what it removes
  const text = (err instanceof Error ? err.message : String(err)).replace(/\u001b\[[0-9;]*m/g, '');
  return text
    .split('\n')
    .filter((l) => l.trim())
    .slice(0, lines)
    .join('\n')
    .slice(0, 1000);
}

export class TransactionRecorder {
  private t0 = performance.now();
  private readonly steps: StepRecord[] = [];
  private readonly entries: TimedEntry[] = [];
  private readonly pages = new Map<number, PageRecord>();
  private readonly failed: Sample[] = [];
  private readonly pending = new Map<Request, { step: string | null; startedAt: number }>();
  private readonly blocked = new WeakSet<Request>();
  /** Blocked URLs: the browser still lists them in Resource Timing, but no vendor served them. */
  private readonly blockedUrls = new Set<string>();
  private blockedCount = 0;
  private listening = true;

  constructor(private readonly vendors: readonly VendorHosts[]) {}

  /** Starts recording a fresh context; call before the script opens pages. */
  async attach(context: BrowserContext): Promise<void> {
    await context.exposeBinding(BINDING, (source, json: unknown) => this.onReport(json, source.frame.parentFrame() === null));
    await context.addInitScript({ content: await loadPageScript() });
    context.on('request', (request) => {
      if (this.listening) this.pending.set(request, { step: this.stepAt(Date.now()), startedAt: performance.now() });
    });
    context.on('requestfinished', (request) => this.pending.delete(request));
    context.on('response', (response) => this.onResponse(response));
    context.on('requestfailed', (request) => this.onRequestFailed(request));
  }

  /** Starts the transaction clock (step start times and the total count from here). */
  begin(): void {
    this.t0 = performance.now();
  }

  /** Marks a request the check itself aborted (block/allow), so it is not counted as failed. */
  markBlocked(request: Request): void {
    this.blocked.add(request);
    this.blockedUrls.add(withoutQuery(request.url()));
    this.blockedCount++;
  }

  /** The `step(name, fn)` a script gets: times and names what fn does. */
  readonly step = async <T>(name: string, fn: () => T | Promise<T>): Promise<T> => {
    if (typeof name !== 'string' || name.length < 1 || name.length > 100) throw new TypeError('step(name, fn): name must be a string of 1 to 100 characters');
    if (typeof fn !== 'function') throw new TypeError(`step("${name}", fn): fn must be a function`);
    const s: StepRecord = { name, startedAt: Date.now(), t0: performance.now() };
    this.steps.push(s);
    try {
      const value = await fn();
      s.ok = true;
      return value;
    } catch (err) {
      s.ok = false;
      s.error = errorText(err);
      throw err;
    } finally {
      s.endedAt = Date.now();
      s.t1 = performance.now();
    }
  };

  /** The step a failure belongs to: the latest-started step that failed, else the one still running. */
  failedStep(): string | undefined {
    const latest = (pick: (s: StepRecord) => boolean) => this.steps.findLast(pick)?.name;
    return latest((s) => s.ok === false) ?? latest((s) => s.ok === undefined);
  }

  /** Collects what every frame has not reported yet (the observer's queue, the latest vitals). */
  async flush(context: BrowserContext, timeoutMs: number): Promise<void> {
    const frames = context.pages().flatMap((page) => page.frames());
    await Promise.all(
      frames.map(async (frame) => {
        const json = await within(frame.evaluate('self.__vendorwatchFlush && self.__vendorwatchFlush()'), timeoutMs).catch(() => undefined);
        if (json !== undefined) this.onReport(json, frame.parentFrame() === null);
      }),
    );
  }

  /** Stops recording: requests the closing context cancels are not the vendors' failures. */
  stop(): void {
    this.listening = false;
  }

  /** Seconds since begin(). */
  elapsedSeconds(): number {
    return (performance.now() - this.t0) / 1000;
  }

  /** The first page's Navigation Timing as CheckResult phases, in seconds. */
  firstNavigationPhases(): Partial<Record<Phase, number>> {
    const first = [...this.pages.values()].sort((a, b) => a.timeOrigin - b.timeOrigin)[0];
    const phases: Partial<Record<Phase, number>> = {};
    for (const phase of ['dns', 'connect', 'tls', 'ttfb', 'transfer'] as const) {
      const ms = first?.navigationMs[phase];
      if (ms !== undefined) phases[phase] = ms / 1000;
    }
    return phases;
  }

  /** Everything recorded, shaped for CheckResult.details (without script, slow and artifacts). */
  details(): Omit<BrowserDetails, 'script' | 'slow' | 'artifacts' | 'failedStep' | 'error'> {
    const now = performance.now();
    const pages = [...this.pages.values()].sort((a, b) => a.timeOrigin - b.timeOrigin);
    const all: TimedEntry[] = [...this.entries, ...pages.map((p) => ({ ...p.entry, startedAt: p.timeOrigin }))].filter((e) => !this.blockedUrls.has(e.name));
    const perStep = this.steps.map(() => ({}) as Record<string, { requests: number; slowestMs: number }>);
    const slowest: BrowserDetails['slowest'] = {};
    for (const e of all) {
      const vendor = vendorForEntry(e, this.vendors);
      const index = this.stepIndexAt(e.startedAt);
      const durationMs = Math.round(e.duration);
      if (index >= 0) {
        const v = (perStep[index]![vendor] ??= { requests: 0, slowestMs: 0 });
        v.requests++;
        v.slowestMs = Math.max(v.slowestMs, durationMs);
      }
      if (durationMs >= (slowest[vendor]?.durationMs ?? -1)) {
        slowest[vendor] = { vendor, step: this.steps[index]?.name ?? null, url: e.name, durationMs };
      }
    }
    return {
      steps: this.steps.map((s, i) => ({
        name: s.name,
        ok: s.ok === true,
        startMs: Math.round(s.t0 - this.t0),
        durationMs: Math.round((s.t1 ?? now) - s.t0),
        ...(s.ok === undefined ? { error: 'still running when the run ended' } : s.error ? { error: s.error } : {}),
        vendors: perStep[i]!,
      })),
      vendors: summarizeResources(all, this.vendors),
      slowest,
      failedRequests: this.failed,
      pendingRequests: [...this.pending]
        .slice(0, 50)
        .map(([request, p]) => ({ ...this.sample(request), step: p.step, durationMs: Math.round(now - p.startedAt) })),
      blockedRequests: this.blockedCount,
      pages: pages.map((p) => ({ url: p.url, step: p.step, navigationMs: p.navigationMs, vitals: p.vitals })),
    };
  }

  private onReport(json: unknown, topFrame: boolean): void {
    if (!this.listening || typeof json !== 'string' || json.length > 1_000_000) return;
    let report: PageReport;
    try {
      report = pageReportSchema.parse(JSON.parse(json));
    } catch {
      return; // Not from pageReporter.js.
    }
    for (const e of report.resources) {
      if (this.entries.length < MAX_ENTRIES) this.entries.push({ ...e, startedAt: report.timeOrigin + e.startTime });
    }
    if (!topFrame || !report.navigation?.url) return;
    let page = this.pages.get(report.timeOrigin);
    if (!page) {
      if (this.pages.size >= MAX_PAGES) return;
      page = { timeOrigin: report.timeOrigin, url: '', step: this.stepAt(report.timeOrigin), entry: report.navigation.entry, navigationMs: {}, vitals: {} };
      this.pages.set(report.timeOrigin, page);
    }
    page.url = report.navigation.url;
    page.entry = report.navigation.entry;
    for (const [phase, ms] of Object.entries(report.navigation.timing) as [keyof PageRecord['navigationMs'], number][]) {
      if (ms >= 0) page.navigationMs[phase] = Math.round(ms * 10) / 10;
    }
    for (const [vital, value] of Object.entries(report.vitals ?? {}) as [keyof PageRecord['vitals'], number][]) {
      if (value >= 0) page.vitals[vital] = vital === 'CLS' ? Math.round(value * 10_000) / 10_000 : Math.round(value);
    }
  }

  private onResponse(response: Response): void {
    const request = response.request();
    if (this.listening && response.status() >= 400) this.record({ ...this.sample(request, response), status: response.status() });
    // Answered: no longer pending, even if its body is still on the way.
    this.pending.delete(request);
  }

  private onRequestFailed(request: Request): void {
    const started = this.pending.get(request);
    this.pending.delete(request);
    if (!this.listening || this.blocked.has(request)) return;
    const error = request.failure()?.errorText ?? 'failed';
    // The page navigated away or the script moved on: the browser cancelled it, the vendor did not fail.
    if (error === 'net::ERR_ABORTED') return;
    this.record({ ...this.sample(request), step: started?.step ?? this.stepAt(Date.now()), error });
  }

  private record(sample: Sample): void {
    if (this.failed.length < MAX_SAMPLES) this.failed.push(sample);
  }

  private sample(request: Request, response?: Response): Sample {
    const url = withoutQuery(request.url());
    return { vendor: this.vendorOf(url, response), step: this.pending.get(request)?.step ?? this.stepAt(Date.now()), method: request.method(), url };
  }

  /** Same attribution as Resource Timing entries: a Server-Timing header naming a CDN wins over the host. */
  private vendorOf(url: string, response?: Response): string {
    const header = response?.headers()['server-timing'] ?? '';
    const serverTiming = header
      .split(',')
      .map((part) => part.trim().split(';'))
      .map(([name = '', ...params]) => ({
        name,
        description:
          params
            .find((p) => p.trim().startsWith('desc='))
            ?.trim()
            .slice(5)
            .replace(/^"|"$/g, '') ?? '',
      }))
      .filter((st) => st.name);
    const entry: ResourceEntryLike = {
      name: url,
      initiatorType: '',
      duration: 0,
      transferSize: 0,
      encodedBodySize: 0,
      decodedBodySize: 0,
      responseStart: 0,
      nextHopProtocol: '',
      serverTiming,
    };
    return vendorForEntry(entry, this.vendors);
  }

  private stepAt(epochMs: number): string | null {
    return this.steps[this.stepIndexAt(epochMs)]?.name ?? null;
  }

  /** The innermost step running at a wall-clock time (steps nest; the later-started one is inside). */
  private stepIndexAt(epochMs: number): number {
    return this.steps.findLastIndex((s) => s.startedAt <= epochMs && (s.endedAt ?? Infinity) >= epochMs);
  }
}

/** `promise`, or a rejection after `ms`. */
export function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
