/**
 * Remote write: the probe sends its metrics to Prometheus remote-write receivers (Prometheus with
 * --web.enable-remote-write-receiver, Mimir, Thanos Receive, VictoriaMetrics), so rules can run
 * where they land with no Prometheus reaching the probe.
 *
 * Per receiver, every `interval`: the registry is sampled once (the series /metrics exposes, each
 * stamped with the sampling time and labelled with the probe's `probe` and `region` where it has
 * none, so series of many probes never collide), cut into requests of `max_samples_per_send`,
 * encoded at once (writeRequest.ts) and queued. One request is in flight at a time, oldest first,
 * so each series' samples arrive in time order, as receivers require. A 2xx counts the samples
 * sent; a 4xx other than 429 means the receiver will never take them (bad data, out of order, a
 * wrong tenant): they are dropped, counted as failed and logged. 5xx, 429 and network errors are
 * retried with exponential backoff and jitter. The queue is bounded in samples: beyond
 * `max_samples` the oldest requests are dropped and counted. Sampling and sending never wait on
 * the checks, nor the checks on them; encoding yields between requests.
 */
import { readFileSync } from 'node:fs';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { request } from 'undici';
import type { RemoteWriteTarget } from '../../../config/schema.ts';
import type { Logger } from '../../log.ts';
import { registry } from '../../metrics.ts';
import { backoffDelay, sleep } from '../../outbound.ts';
import { remoteWriteQueueSamples, remoteWriteRequests, remoteWriteSamples } from './metrics.ts';
import { encodeWriteRequest, writeRequestHeaders, type Label, type Series } from './writeRequest.ts';

const BACKOFF_BASE_MS = 500;
const BACKOFF_MAX_MS = 30_000;

interface Identity {
  probe: string;
  region: string;
}

/**
 * Every series of the registry now (of the named families only, when given), with the probe's
 * identity added where a series has none. Names no family in this process has are left out.
 */
export async function sampleRegistry(identity: Identity, timestamp: number, families?: readonly string[]): Promise<Series[]> {
  const series: Series[] = [];
  const metrics = families
    ? await Promise.all(families.flatMap((name) => registry.getSingleMetric(name) ?? []).map((m) => m.get()))
    : await registry.getMetricsAsJSON();
  for (const metric of metrics) {
    // Histograms and summaries name each value (`_bucket`, `_sum`, `_count`); other types do not.
    for (const { labels, value, metricName } of metric.values as { labels: Record<string, string | number>; value: number; metricName?: string }[]) {
      const named: Record<string, string> = { ...identity };
      for (const [name, v] of Object.entries(labels)) if (v !== undefined && v !== '') named[name] = String(v);
      named.__name__ = metricName ?? metric.name;
      const sorted: Label[] = Object.keys(named)
        .sort()
        .map((name) => ({ name, value: named[name]! }));
      series.push({ labels: sorted, value, timestamp });
    }
  }
  return series;
}

/** Sends the probe's metrics to every configured receiver; see the header. */
export class RemoteWrite {
  private readonly receivers: Receiver[];

  constructor(targets: readonly RemoteWriteTarget[], identity: Identity, logger: Logger) {
    this.receivers = targets.map((target, i) => new Receiver(target, target.name ?? String(i), identity, logger));
  }

  start(): void {
    for (const r of this.receivers) r.start();
  }

  /** Samples once more (the last results), then tries for at most deadlineMs to send what waits. */
  async stop(deadlineMs: number): Promise<void> {
    await Promise.all(this.receivers.map((r) => r.stop(deadlineMs)));
  }
}

/** One request's worth of samples, encoded. */
interface Request {
  body: Buffer;
  samples: number;
}

class Receiver {
  private queue: Request[] = [];
  private sending: Request | undefined;
  private timer: NodeJS.Timeout | undefined;
  private sampling: Promise<void> | undefined;
  private loop: Promise<void> | undefined;
  /** Aborted when a request is queued: wakes an idle sender. */
  private queued = new AbortController();
  /** Aborted on shutdown: no more backoff. */
  private readonly hurry = new AbortController();
  private readonly stopping = new AbortController();
  private readonly stats = { sent: 0, failed: 0, dropped: 0 };

  constructor(
    private readonly target: RemoteWriteTarget,
    private readonly label: string,
    private readonly identity: Identity,
    private readonly logger: Logger,
  ) {}

  start(): void {
    const missing = (this.target.metrics ?? []).filter((name) => !registry.getSingleMetric(name));
    if (missing.length) this.logger.warn({ target: this.label, missing }, 'remote write: this probe has no metric families of these names; they are not sent');
    this.updateGauge();
    this.timer = setInterval(() => void this.sample(), this.target.interval);
    this.loop = this.run();
  }

  /** Samples the registry, unless the previous sampling is still encoding: a slow machine skips one rather than piling up. */
  private sample(): Promise<void> {
    this.sampling ??= this.encodeSample().finally(() => (this.sampling = undefined));
    return this.sampling;
  }

  private async encodeSample(): Promise<void> {
    try {
      const series = await sampleRegistry(this.identity, Date.now(), this.target.metrics);
      const per = this.target.queue.max_samples_per_send;
      for (let i = 0; i < series.length; i += per) {
        const part = series.slice(i, i + per);
        this.enqueue({ body: encodeWriteRequest(part), samples: part.length });
        await yieldToEventLoop();
      }
    } catch (err) {
      this.logger.error({ err, target: this.label }, 'remote write: cannot sample the metrics');
    }
  }

  private enqueue(req: Request): void {
    this.queue.push(req);
    let waiting = this.waitingSamples();
    while (waiting > this.target.queue.max_samples) {
      const oldest = this.queue.find((r) => r !== this.sending);
      if (!oldest) break;
      this.queue = this.queue.filter((r) => r !== oldest);
      waiting -= oldest.samples;
      this.count('dropped', oldest.samples);
      this.logger.warn({ target: this.label, samples: oldest.samples }, 'remote write queue full; dropped the oldest samples');
    }
    this.updateGauge();
    this.queued.abort();
  }

  private async run(): Promise<void> {
    let attempt = 0;
    while (!this.stopping.signal.aborted) {
      const next = this.queue[0];
      if (!next) {
        if (this.queued.signal.aborted) this.queued = new AbortController();
        await sleep(this.target.interval, this.queued.signal);
        continue;
      }
      if ((await this.send(next)) === 'done') attempt = 0;
      else if (this.hurry.signal.aborted) await sleep(100, this.stopping.signal);
      else await sleep(backoffDelay(attempt++, BACKOFF_BASE_MS, BACKOFF_MAX_MS), this.hurry.signal);
    }
  }

  private async send(req: Request): Promise<'done' | 'retry'> {
    this.sending = req;
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(new DOMException('request timed out', 'TimeoutError')), this.target.timeout);
    const onStop = () => abort.abort(this.stopping.signal.reason);
    this.stopping.signal.addEventListener('abort', onStop, { once: true });
    try {
      const res = await request(this.target.url, { method: 'POST', headers: this.headers(), body: req.body, signal: abort.signal });
      const answer = (await res.body.text()).slice(0, 1024);
      const status = res.statusCode;
      remoteWriteRequests.inc({ target: this.label, code: String(status) });
      if (status >= 200 && status < 300) {
        this.remove(req, 'sent');
        return 'done';
      }
      if (status >= 400 && status < 500 && status !== 429) {
        this.remove(req, 'failed');
        this.logger.error({ target: this.label, status, answer, samples: req.samples }, 'remote write refused samples; dropping them (retrying cannot help)');
        return 'done';
      }
      this.logger.warn({ target: this.label, status, answer }, 'remote write failed; will retry');
      return 'retry';
    } catch (err) {
      remoteWriteRequests.inc({ target: this.label, code: 'error' });
      this.logger.warn({ target: this.label, err: (err as Error).message }, 'remote write request failed; will retry');
      return 'retry';
    } finally {
      clearTimeout(timer);
      this.stopping.signal.removeEventListener('abort', onStop);
      this.sending = undefined;
    }
  }

  /** Read at each request, so a rotated secret is picked up; a missing file throws and the request is retried. */
  private headers(): Record<string, string> {
    const { bearer_token_file: tokenFile, basic_auth: basic, headers } = this.target;
    const secret = (file: string) => readFileSync(file, 'utf8').trim();
    const auth: Record<string, string> = tokenFile
      ? { authorization: `Bearer ${secret(tokenFile)}` }
      : basic
        ? { authorization: `Basic ${Buffer.from(`${basic.username}:${secret(basic.password_file)}`).toString('base64')}` }
        : {};
    return { ...headers, ...writeRequestHeaders, ...auth };
  }

  async stop(deadlineMs: number): Promise<void> {
    clearInterval(this.timer);
    await this.sampling;
    await this.sample();
    this.hurry.abort();
    const drained = async () => {
      while (this.queue.length && !this.stopping.signal.aborted) await sleep(50);
    };
    await Promise.race([drained(), sleep(deadlineMs)]);
    this.stopping.abort();
    this.queued.abort();
    await this.loop;
    for (const req of this.queue) this.count('dropped', req.samples);
    this.queue = [];
    this.updateGauge();
    this.logger.info({ target: this.label, ...this.stats }, 'remote write stopped');
  }

  private remove(req: Request, result: 'sent' | 'failed'): void {
    this.queue = this.queue.filter((r) => r !== req);
    this.count(result, req.samples);
    this.updateGauge();
  }

  private count(result: 'sent' | 'failed' | 'dropped', samples: number): void {
    this.stats[result] += samples;
    remoteWriteSamples.inc({ target: this.label, result }, samples);
  }

  private waitingSamples(): number {
    return this.queue.reduce((n, r) => n + r.samples, 0);
  }

  private updateGauge(): void {
    remoteWriteQueueSamples.set({ target: this.label }, this.waitingSamples());
  }
}
