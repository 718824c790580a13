/**
 * Pushing results to collectors. Every collector gets every result, independently (HA: two
 * collectors, and one being down never holds back the other).
 *
 * Per collector, an outbox: results are batched every `push_interval`, each batch is written
 * to the spool (<spool_dir>/<probe>/<collector host_port>/) before it is sent, and deleted
 * once the collector acknowledged it. So a collector restart, or a probe crash, loses at most
 * the results of one push interval, never a spooled batch. Batches go out oldest first; when a
 * push fails the outbox retries with exponential backoff and jitter. The spool is bounded in
 * bytes and results: beyond it the oldest batches are dropped and counted
 * (vendorwatch_push_results_total{result="dropped"}). A batch the collector refuses as bad
 * (400, 413) is dropped and counted as rejected: re-sending cannot fix it. On shutdown the
 * outbox tries to send what is left for a bounded time; the rest waits in the spool for the
 * next start.
 */
import { mkdirSync, readdirSync, renameSync, statSync, unlinkSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CheckResult } from '../../config/result.ts';
import { backoffDelay, postJson, sleep } from '../client.ts';
import type { Logger } from '../log.ts';
import { pushRequests, pushResults, spoolBytes, spoolResults } from '../metrics.ts';

/** Results per batch (one spool file, one request), and its size bound (under the collector's body limit). */
const BATCH_MAX_RESULTS = 500;
const BATCH_MAX_BYTES = 512 * 1024;
const BACKOFF_BASE_MS = 500;
const BACKOFF_MAX_MS = 15_000;
const PUSH_TIMEOUT_MS = 10_000;

export interface PushOptions {
  /** Collector base URLs, e.g. http://collector-a:9797 */
  collectors: readonly string[];
  token: string | undefined;
  probeId: string;
  spoolDir: string;
  intervalMs: number;
  maxBytes: number;
  maxResults: number;
  logger: Logger;
  random?: () => number;
}

/** A bounded-label name for a collector: its host and port. */
export function collectorLabel(url: string): string {
  return new URL(url).host;
}

/** Sends every result to every collector; see the header. */
export class Push {
  readonly outboxes: Outbox[];
  private timer: NodeJS.Timeout | undefined;

  constructor(opts: PushOptions) {
    this.outboxes = opts.collectors.map((url) => new Outbox(url, opts));
  }

  start(): void {
    for (const o of this.outboxes) o.start();
    this.timer = setInterval(() => {
      for (const o of this.outboxes) o.flush();
    }, this.outboxes[0]?.intervalMs ?? 1000);
  }

  add(result: CheckResult): void {
    for (const o of this.outboxes) o.add(result);
  }

  /** Flushes what is pending and tries, for at most deadlineMs, to deliver the spool. */
  async stop(deadlineMs: number): Promise<void> {
    clearInterval(this.timer);
    await Promise.all(this.outboxes.map((o) => o.stop(deadlineMs)));
  }
}

interface SpoolFile {
  name: string;
  bytes: number;
  results: number;
}

/** One collector's queue: pending results in memory, batches in the spool directory. */
export class Outbox {
  readonly label: string;
  readonly intervalMs: number;
  private readonly dir: string;
  private readonly endpoint: string;
  private pending: string[] = [];
  private pendingBytes = 0;
  private files: SpoolFile[] = [];
  private sending: SpoolFile | undefined;
  private sequence = 0;
  /** Aborted when a new batch is spooled: wakes an idle sender. */
  private newBatch = new AbortController();
  /** Aborted on shutdown: no more backoff, try what is left right away. */
  private readonly hurry = new AbortController();
  private readonly stopping = new AbortController();
  private loop: Promise<void> | undefined;
  /** For the shutdown summary. */
  readonly stats = { queued: 0, delivered: 0, rejected: 0, dropped: 0 };

  constructor(
    url: string,
    private readonly opts: PushOptions,
  ) {
    this.label = collectorLabel(url);
    this.intervalMs = opts.intervalMs;
    this.endpoint = `${url.replace(/\/+$/, '')}/v1/results`;
    this.dir = join(opts.spoolDir, opts.probeId, this.label.replace(/[^a-zA-Z0-9.-]/g, '_'));
  }

  /** Picks up batches a previous run left in the spool, and starts sending. */
  start(): void {
    mkdirSync(this.dir, { recursive: true });
    for (const name of readdirSync(this.dir).sort()) {
      const m = /^\d+-\d+-(\d+)\.json$/.exec(name);
      if (!m) {
        // A batch half-written when the probe died: it was never acknowledged, but it cannot be read either.
        if (name.endsWith('.tmp')) unlinkSync(join(this.dir, name));
        continue;
      }
      this.files.push({ name, bytes: statSync(join(this.dir, name)).size, results: Number(m[1]) });
    }
    if (this.files.length) this.opts.logger.info({ collector: this.label, batches: this.files.length }, 'found spooled results from a previous run');
    this.updateGauges();
    this.loop = this.run();
  }

  add(result: CheckResult): void {
    const line = JSON.stringify(result);
    this.pending.push(line);
    this.pendingBytes += line.length;
    this.stats.queued++;
    if (this.pending.length >= BATCH_MAX_RESULTS || this.pendingBytes >= BATCH_MAX_BYTES) this.flush();
  }

  /** Writes pending results to the spool as one batch and wakes the sender. */
  flush(): void {
    if (!this.pending.length) return;
    const body = `{"results":[${this.pending.join(',')}]}`;
    const file: SpoolFile = {
      name: `${String(Date.now()).padStart(15, '0')}-${String(this.sequence++).padStart(9, '0')}-${this.pending.length}.json`,
      bytes: Buffer.byteLength(body),
      results: this.pending.length,
    };
    this.pending = [];
    this.pendingBytes = 0;
    try {
      const path = join(this.dir, file.name);
      writeFileSync(`${path}.tmp`, body);
      renameSync(`${path}.tmp`, path);
    } catch (err) {
      // A full or broken disk must not stop the probe; these results are lost, and counted.
      this.opts.logger.error({ err, collector: this.label }, 'cannot write to the spool; dropping a batch');
      this.count('dropped', file.results);
      return;
    }
    this.files.push(file);
    this.enforceBounds();
    this.updateGauges();
    this.newBatch.abort();
  }

  async stop(deadlineMs: number): Promise<void> {
    this.flush();
    this.hurry.abort();
    await Promise.race([this.drained(), sleep(deadlineMs)]);
    this.stopping.abort();
    this.newBatch.abort();
    await this.loop;
    this.opts.logger.info({ collector: this.label, ...this.stats, spooled: this.spooledResults() }, 'push stopped');
  }

  private async drained(): Promise<void> {
    while (this.files.length && !this.stopping.signal.aborted) await sleep(50);
  }

  private spooledResults(): number {
    return this.files.reduce((n, f) => n + f.results, 0);
  }

  /** Drops the oldest batches (never the one being sent) until the spool fits its bounds. */
  private enforceBounds(): void {
    const { maxBytes, maxResults } = this.opts;
    const over = () => this.files.reduce((n, f) => n + f.bytes, 0) > maxBytes || this.spooledResults() > maxResults;
    while (over()) {
      const victim = this.files.find((f) => f !== this.sending);
      if (!victim) break;
      this.remove(victim);
      this.count('dropped', victim.results);
      this.opts.logger.warn({ collector: this.label, results: victim.results }, 'spool full; dropped the oldest batch');
    }
  }

  private async run(): Promise<void> {
    let attempt = 0;
    while (!this.stopping.signal.aborted) {
      const file = this.files[0];
      if (!file) {
        if (this.newBatch.signal.aborted) this.newBatch = new AbortController();
        await sleep(this.intervalMs * 5, this.newBatch.signal);
        continue;
      }
      if ((await this.send(file)) === 'done') attempt = 0;
      else if (this.hurry.signal.aborted) await sleep(100, this.stopping.signal);
      else await sleep(backoffDelay(attempt++, BACKOFF_BASE_MS, BACKOFF_MAX_MS, this.opts.random), this.hurry.signal);
    }
  }

  private async send(file: SpoolFile): Promise<'done' | 'retry'> {
    const path = join(this.dir, file.name);
    let body: string;
    try {
      body = readFileSync(path, 'utf8');
    } catch (err) {
      this.opts.logger.error({ err, collector: this.label }, 'spooled batch unreadable; dropping it');
      this.remove(file);
      this.count('dropped', file.results);
      return 'done';
    }
    this.sending = file;
    try {
      const headers: Record<string, string> = this.opts.token ? { authorization: `Bearer ${this.opts.token}` } : {};
      const res = await postJson(this.endpoint, body, { headers, timeoutMs: PUSH_TIMEOUT_MS, signal: this.stopping.signal });
      pushRequests.inc({ collector: this.label, code: String(res.status) });
      if (res.status >= 200 && res.status < 300) {
        this.remove(file);
        this.count('delivered', file.results);
        return 'done';
      }
      if (res.status === 400 || res.status === 413) {
        this.opts.logger.error({ collector: this.label, status: res.status, answer: res.text, results: file.results }, 'collector refused a batch; dropping it');
        this.remove(file);
        this.count('rejected', file.results);
        return 'done';
      }
      this.opts.logger.warn({ collector: this.label, status: res.status, answer: res.text }, 'push failed; will retry');
      return 'retry';
    } catch (err) {
      pushRequests.inc({ collector: this.label, code: 'error' });
      this.opts.logger.warn({ collector: this.label, err: (err as Error).message }, 'collector unreachable; results stay spooled');
      return 'retry';
    } finally {
      this.sending = undefined;
    }
  }

  private remove(file: SpoolFile): void {
    this.files = this.files.filter((f) => f !== file);
    try {
      unlinkSync(join(this.dir, file.name));
    } catch {
      // Already gone: nothing to keep.
    }
    this.updateGauges();
  }

  private count(result: 'delivered' | 'rejected' | 'dropped', n: number): void {
    this.stats[result] += n;
    pushResults.inc({ collector: this.label, result }, n);
  }

  private updateGauges(): void {
    spoolResults.set({ collector: this.label }, this.spooledResults());
    spoolBytes.set({ collector: this.label }, this.files.reduce((n, f) => n + f.bytes, 0));
  }
}
