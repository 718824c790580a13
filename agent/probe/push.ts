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
 * (vendorwatch_push_results_total{result="dropped"}). A spool that cannot be written (a full
 * disk) does not stop delivery: the batch waits in memory instead, within the same bounds, and
 * is lost only if the probe stops before a collector took it.
 *
 * A batch body never exceeds `push_max_batch_bytes` (set it under every collector's
 * max_body_bytes); a result too large for a batch of its own is shrunk (oversizedResult.ts). A
 * collector that still answers 413 gets the batch again in halves, down to a single result,
 * which is then shrunk further. A batch refused as bad (400) is dropped and counted as
 * rejected: re-sending cannot fix it. On shutdown the outbox tries to send what is left for a
 * bounded time; the rest waits in the spool for the next start.
 */
import { mkdirSync, readdirSync, renameSync, statSync, unlinkSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CheckResult } from '../../config/result.ts';
import { backoffDelay, postJson, sleep } from '../outbound.ts';
import type { Logger } from '../log.ts';
import { pushBatchSplits, pushRequests, pushResults, pushShrunkResults, spoolBytes, spoolResults, spoolWriteErrors } from './metrics.ts';
import { shrinkResult } from './oversizedResult.ts';

/** Results per batch (one spool file, one request); the collector takes at most 5000. */
const BATCH_MAX_RESULTS = 500;
/** Bytes of a batch body around its results as sent: {"sentAt":…,"results":[...]} */
const ENVELOPE_BYTES = Buffer.byteLength(`{"sentAt":${Number.MAX_SAFE_INTEGER},"results":[]}`);
const BACKOFF_BASE_MS = 500;
const BACKOFF_MAX_MS = 15_000;
const PUSH_TIMEOUT_MS = 10_000;

interface PushOptions {
  /** Collector base URLs, e.g. http://collector-a:9797 */
  collectors: readonly string[];
  token: string | undefined;
  probeId: string;
  spoolDir: string;
  intervalMs: number;
  /** Largest batch body, in bytes. */
  maxBatchBytes: number;
  /** Spool bounds, per collector. */
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

/**
 * One batch: a spool file named <stem>-<results>.json, where the stem (time and sequence, and
 * ".0"/".1" per split) sorts batches oldest first. `body` is set while the spool cannot be
 * written and the batch waits in memory instead.
 */
interface Batch {
  stem: string;
  bytes: number;
  results: number;
  body?: string;
}

const fileName = (b: Batch) => `${b.stem}-${b.results}.json`;
const spoolFilePattern = /^(\d+-\d+(?:\.[01])*)-(\d+)\.json$/;

/** One collector's queue: pending results in memory, batches in the spool directory (in memory while it cannot be written). */
class Outbox {
  readonly label: string;
  readonly intervalMs: number;
  private readonly dir: string;
  private readonly endpoint: string;
  private pending: string[] = [];
  /** The pending results' bytes, each with the comma after it. */
  private pendingBytes = 0;
  private batches: Batch[] = [];
  private sending: Batch | undefined;
  private sequence = 0;
  /** Aborted when a new batch is queued: wakes an idle sender. */
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
    try {
      mkdirSync(this.dir, { recursive: true });
      this.pickUpSpool();
    } catch (err) {
      // A spool that cannot even be read must not keep the probe from delivering.
      spoolWriteErrors.inc({ collector: this.label });
      this.opts.logger.error({ err, collector: this.label }, 'cannot open the spool; batches will wait in memory');
    }
    this.updateGauges();
    this.loop = this.run();
  }

  private pickUpSpool(): void {
    for (const name of readdirSync(this.dir).sort()) {
      const m = spoolFilePattern.exec(name);
      if (!m) {
        // A batch half-written when the probe died: it was never acknowledged, but it cannot be read either.
        if (name.endsWith('.tmp')) unlinkSync(join(this.dir, name));
        continue;
      }
      this.batches.push({ stem: m[1]!, bytes: statSync(join(this.dir, name)).size, results: Number(m[2]) });
    }
    if (this.batches.length) this.opts.logger.info({ collector: this.label, batches: this.batches.length }, 'found spooled results from a previous run');
  }

  add(result: CheckResult): void {
    this.stats.queued++;
    let line = JSON.stringify(result);
    if (ENVELOPE_BYTES + Buffer.byteLength(line) > this.opts.maxBatchBytes) line = this.shrink(result, this.opts.maxBatchBytes - ENVELOPE_BYTES);
    const bytes = Buffer.byteLength(line);
    if (ENVELOPE_BYTES + this.pendingBytes + bytes > this.opts.maxBatchBytes) this.flush();
    this.pending.push(line);
    this.pendingBytes += bytes + 1;
    if (this.pending.length >= BATCH_MAX_RESULTS) this.flush();
  }

  /** Queues pending results as one batch and wakes the sender. */
  flush(): void {
    if (!this.pending.length) return;
    const batch = this.spooled(`${String(Date.now()).padStart(15, '0')}-${String(this.sequence++).padStart(9, '0')}`, this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    this.batches.push(batch);
    this.enforceBounds();
    this.updateGauges();
    this.newBatch.abort();
  }

  /** A batch of these result lines, written to the spool, or kept in memory when that fails. */
  private spooled(stem: string, lines: string[]): Batch {
    const body = `{"results":[${lines.join(',')}]}`;
    const batch: Batch = { stem, bytes: Buffer.byteLength(body), results: lines.length, body };
    this.spool(batch);
    return batch;
  }

  /** Writes a batch held in memory to the spool; when the spool cannot be written (a full disk), it stays in memory. */
  private spool(batch: Batch): void {
    const path = join(this.dir, fileName(batch));
    try {
      writeFileSync(`${path}.tmp`, batch.body!);
      renameSync(`${path}.tmp`, path);
      batch.body = undefined;
    } catch (err) {
      spoolWriteErrors.inc({ collector: this.label });
      this.opts.logger.error({ err, collector: this.label, results: batch.results }, 'cannot write to the spool; the batch waits in memory');
      try {
        unlinkSync(`${path}.tmp`);
      } catch {
        // Never created.
      }
    }
  }

  async stop(deadlineMs: number): Promise<void> {
    this.flush();
    this.hurry.abort();
    await Promise.race([this.drained(), sleep(deadlineMs)]);
    this.stopping.abort();
    this.newBatch.abort();
    await this.loop;
    this.spoolWhatWaitsInMemory();
    this.opts.logger.info({ collector: this.label, ...this.stats, spooled: this.queuedResults() }, 'push stopped');
  }

  /** On shutdown, batches that wait in memory get one more try at the spool; those that fail are lost. */
  private spoolWhatWaitsInMemory(): void {
    for (const batch of this.batches.filter((b) => b.body !== undefined)) {
      this.spool(batch);
      if (batch.body === undefined) continue;
      this.remove(batch);
      this.count('dropped', batch.results);
      this.opts.logger.error(
        { collector: this.label, results: batch.results },
        'stopping with results neither delivered nor spooled (the spool cannot be written); they are lost',
      );
    }
  }

  private async drained(): Promise<void> {
    while (this.batches.length && !this.stopping.signal.aborted) await sleep(50);
  }

  private queuedResults(): number {
    return this.batches.reduce((n, b) => n + b.results, 0);
  }

  /** Drops the oldest batches (never the one being sent) until the spool fits its bounds. */
  private enforceBounds(): void {
    const { maxBytes, maxResults } = this.opts;
    const over = () => this.batches.reduce((n, b) => n + b.bytes, 0) > maxBytes || this.queuedResults() > maxResults;
    while (over()) {
      const victim = this.batches.find((b) => b !== this.sending);
      if (!victim) break;
      this.remove(victim);
      this.count('dropped', victim.results);
      this.opts.logger.warn({ collector: this.label, results: victim.results }, 'spool full; dropped the oldest batch');
    }
  }

  private async run(): Promise<void> {
    let attempt = 0;
    while (!this.stopping.signal.aborted) {
      const batch = this.batches[0];
      if (!batch) {
        if (this.newBatch.signal.aborted) this.newBatch = new AbortController();
        await sleep(this.intervalMs * 5, this.newBatch.signal);
        continue;
      }
      if ((await this.send(batch)) === 'done') attempt = 0;
      else if (this.hurry.signal.aborted) await sleep(100, this.stopping.signal);
      else await sleep(backoffDelay(attempt++, BACKOFF_BASE_MS, BACKOFF_MAX_MS, this.opts.random), this.hurry.signal);
    }
  }

  private async send(batch: Batch): Promise<'done' | 'retry'> {
    let body: string;
    try {
      body = batch.body ?? readFileSync(join(this.dir, fileName(batch)), 'utf8');
    } catch (err) {
      this.opts.logger.error({ err, collector: this.label }, 'spooled batch unreadable; dropping it');
      this.remove(batch);
      this.count('dropped', batch.results);
      return 'done';
    }
    this.sending = batch;
    try {
      const headers: Record<string, string> = this.opts.token ? { authorization: `Bearer ${this.opts.token}` } : {};
      // The send time, by this probe's clock, lets the collector measure clock skew (spooled results are old on purpose).
      const sent = `{"sentAt":${Date.now()},${body.slice(1)}`;
      const res = await postJson(this.endpoint, sent, { headers, timeoutMs: PUSH_TIMEOUT_MS, signal: this.stopping.signal });
      pushRequests.inc({ collector: this.label, code: String(res.status) });
      if (res.status >= 200 && res.status < 300) {
        this.remove(batch);
        this.count('delivered', batch.results);
        this.reportRefusals(res.text);
        return 'done';
      }
      if (res.status === 413) {
        this.tooLarge(batch, body, res.text);
        return 'done';
      }
      if (res.status === 400) {
        this.opts.logger.error(
          { collector: this.label, status: res.status, answer: res.text, results: batch.results },
          'collector refused a batch; dropping it',
        );
        this.remove(batch);
        this.count('rejected', batch.results);
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

  /** Results the collector took delivery of but refused one by one (too old, invalid, …): said here, counted there. */
  private reportRefusals(answer: string): void {
    let refused: { reason?: string; error?: string }[] = [];
    try {
      refused = (JSON.parse(answer) as { refused?: typeof refused }).refused ?? [];
    } catch {
      return; // An answer we cannot read changes nothing about delivery.
    }
    if (!refused.length) return;
    const reasons = [...new Set(refused.map((r) => r.reason))].join(', ');
    this.opts.logger.warn({ collector: this.label, refused: refused.length, reasons, example: refused[0] }, 'collector refused some results of a batch');
  }

  /**
   * The collector's body limit is below this batch (its max_body_bytes is lower than our
   * push_max_batch_bytes): send it again in halves; a single result is shrunk to half its size.
   * Only a result that cannot shrink any further is dropped, as rejected.
   */
  private tooLarge(batch: Batch, body: string, answer: string): void {
    const results = (JSON.parse(body) as { results: CheckResult[] }).results;
    let parts: Batch[];
    if (results.length > 1) {
      const half = Math.ceil(results.length / 2);
      parts = [results.slice(0, half), results.slice(half)].map((rs, i) =>
        this.spooled(
          `${batch.stem}.${i}`,
          rs.map((r) => JSON.stringify(r)),
        ),
      );
      pushBatchSplits.inc({ collector: this.label });
      this.opts.logger.warn(
        { collector: this.label, answer, results: results.length, bytes: batch.bytes },
        'collector refused a batch as too large (413); sending it in halves',
      );
    } else {
      const line = this.shrink(results[0]!, Math.floor(batch.bytes / 2) - ENVELOPE_BYTES);
      if (ENVELOPE_BYTES + Buffer.byteLength(line) >= batch.bytes) {
        this.opts.logger.error(
          { collector: this.label, answer, bytes: batch.bytes },
          'collector refused a result as too large (413) and it cannot be shrunk further; dropping it',
        );
        this.remove(batch);
        this.count('rejected', 1);
        return;
      }
      parts = [this.spooled(`${batch.stem}.0`, [line])];
    }
    this.remove(batch);
    this.batches.unshift(...parts);
    this.updateGauges();
  }

  /** Cuts a result down to maxBytes of JSON (see oversizedResult.ts), counted and logged. */
  private shrink(result: CheckResult, maxBytes: number): string {
    const line = shrinkResult(result, maxBytes);
    pushShrunkResults.inc({ collector: this.label });
    this.opts.logger.warn(
      { collector: this.label, check: result.check, bytes: Buffer.byteLength(JSON.stringify(result)), shrunkTo: Buffer.byteLength(line) },
      'result too large for a push batch; its message and details were cut',
    );
    return line;
  }

  private remove(batch: Batch): void {
    this.batches = this.batches.filter((b) => b !== batch);
    if (batch.body === undefined) {
      try {
        unlinkSync(join(this.dir, fileName(batch)));
      } catch {
        // Already gone: nothing to keep.
      }
    }
    this.updateGauges();
  }

  private count(result: 'delivered' | 'rejected' | 'dropped', n: number): void {
    this.stats[result] += n;
    pushResults.inc({ collector: this.label, result }, n);
  }

  private updateGauges(): void {
    spoolResults.set({ collector: this.label }, this.queuedResults());
    spoolBytes.set(
      { collector: this.label },
      this.batches.reduce((n, b) => n + b.bytes, 0),
    );
  }
}
