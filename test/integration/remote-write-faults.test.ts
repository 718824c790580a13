/**
 * Remote write against receivers that misbehave in ways a real Prometheus will not on demand: a
 * small node:http receiver that decodes what it gets, checks the credentials, and answers 503,
 * 429, 400 or nothing when told to. What the probe sends, retries, refuses to retry, drops and
 * counts; its metrics pass `promtool check metrics`.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { RemoteWriteTarget } from '../../config/schema.ts';
import { registry } from '../../agent/metrics.ts';
import { RemoteWrite } from '../../agent/probe/remoteWrite/remoteWrite.ts';
import { decodeWriteRequest, type Series } from '../../agent/probe/remoteWrite/writeRequest.ts';
import { freePort, tempDir, waitFor } from '../support/processes.ts';
import { promtoolCheckMetrics } from '../support/prometheus.ts';

const logger = pino({ level: 'silent' });
const dir = tempDir('vendorwatch-remote-write-faults-');
const identity = { probe: 'p1', region: 'eu-west' };

interface Receiver {
  url: string;
  /** Every request: its headers, the status answered, and the series when it was taken (2xx). */
  requests: { headers: IncomingMessage['headers']; status: number; series: Series[] }[];
  close(): Promise<void>;
}

/** A receiver answering each request with the next status of `answers` (the last one repeats). */
async function startReceiver(answers: number[]): Promise<Receiver> {
  const requests: Receiver['requests'] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const status = answers[Math.min(requests.length, answers.length - 1)]!;
      const series = status < 300 ? decodeWriteRequest(Buffer.concat(chunks)) : [];
      requests.push({ headers: req.headers, status, series });
      res.statusCode = status;
      res.end(status === 400 ? 'out of order sample' : '');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/api/v1/write`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

function target(url: string, name: string, extra: Partial<RemoteWriteTarget> = {}): RemoteWriteTarget {
  return { url, name, headers: {}, interval: 100, timeout: 2000, queue: { max_samples: 100_000, max_samples_per_send: 500 }, ...extra };
}

async function metric(name: string, labels: Record<string, string>): Promise<number> {
  const family = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  const value = family?.values.find((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want));
  return value?.value ?? 0;
}

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

async function run(targets: RemoteWriteTarget[]): Promise<RemoteWrite> {
  const remoteWrite = new RemoteWrite(targets, identity, logger);
  remoteWrite.start();
  stops.push(() => remoteWrite.stop(500));
  return remoteWrite;
}

describe('remote write', () => {
  it('sends every series of the registry, named and stamped, with the probe identity and the bearer token from its file', async () => {
    const receiver = await startReceiver([204]);
    stops.push(() => receiver.close());
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, 's3cret\n');
    const before = Date.now();
    await run([target(receiver.url, 'bearer', { bearer_token_file: tokenFile })]);
    await waitFor(() => receiver.requests.length >= 2, { what: 'two samplings' });
    const first = receiver.requests[0]!;
    expect(first.headers).toMatchObject({
      authorization: 'Bearer s3cret',
      'content-type': 'application/x-protobuf',
      'content-encoding': 'snappy',
      'x-prometheus-remote-write-version': '0.1.0',
    });
    const heap = first.series.find((s) => s.labels.some((l) => l.name === '__name__' && l.value === 'nodejs_heap_size_total_bytes'));
    expect(heap?.labels).toEqual([
      { name: '__name__', value: 'nodejs_heap_size_total_bytes' },
      { name: 'probe', value: 'p1' },
      { name: 'region', value: 'eu-west' },
    ]);
    expect(heap!.timestamp).toBeGreaterThanOrEqual(before);
    // Histograms go as their _bucket (with le), _sum and _count series.
    const names = new Set(first.series.map((s) => s.labels.find((l) => l.name === '__name__')!.value));
    expect(names).toContain('nodejs_gc_duration_seconds_bucket');
    expect(names).toContain('nodejs_gc_duration_seconds_count');
    // Each series' samples arrive in time order.
    const second = receiver.requests[1]!.series.find((s) => JSON.stringify(s.labels) === JSON.stringify(heap!.labels))!;
    expect(second.timestamp).toBeGreaterThan(heap!.timestamp);
  });

  it('sends only the metric families it is told to', async () => {
    const receiver = await startReceiver([204]);
    stops.push(() => receiver.close());
    await run([target(receiver.url, 'some', { metrics: ['nodejs_heap_size_total_bytes', 'nodejs_gc_duration_seconds'] })]);
    await waitFor(() => receiver.requests.length >= 1);
    const names = new Set(receiver.requests[0]!.series.map((s) => s.labels.find((l) => l.name === '__name__')!.value));
    expect([...names].sort()).toEqual([
      'nodejs_gc_duration_seconds_bucket',
      'nodejs_gc_duration_seconds_count',
      'nodejs_gc_duration_seconds_sum',
      'nodejs_heap_size_total_bytes',
    ]);
  });

  it('sends basic auth with the password from its file', async () => {
    const receiver = await startReceiver([204]);
    stops.push(() => receiver.close());
    const passwordFile = join(dir, 'password');
    writeFileSync(passwordFile, 'hunter2');
    await run([target(receiver.url, 'basic', { basic_auth: { username: 'tenant-1', password_file: passwordFile } })]);
    await waitFor(() => receiver.requests.length >= 1);
    expect(receiver.requests[0]!.headers.authorization).toBe(`Basic ${Buffer.from('tenant-1:hunter2').toString('base64')}`);
  });

  it('retries 503 and 429 until the receiver takes the samples, losing none', async () => {
    const receiver = await startReceiver([503, 429, 204]);
    stops.push(() => receiver.close());
    // With a long interval the only sampling is the one stop() takes before it drains the queue.
    const remoteWrite = new RemoteWrite([target(receiver.url, 'flaky-once', { interval: 60_000 })], identity, logger);
    remoteWrite.start();
    await remoteWrite.stop(15_000);
    const statuses = receiver.requests.map((r) => r.status);
    expect(statuses).toEqual([503, 429, 204]);
    const sent = receiver.requests[2]!.series.length;
    expect(sent).toBeGreaterThan(0);
    expect(await metric('vendorwatch_probe_remote_write_samples_total', { target: 'flaky-once', result: 'sent' })).toBe(sent);
    expect(await metric('vendorwatch_probe_remote_write_samples_total', { target: 'flaky-once', result: 'dropped' })).toBe(0);
    expect(await metric('vendorwatch_probe_remote_write_requests_total', { target: 'flaky-once', code: '503' })).toBe(1);
    expect(await metric('vendorwatch_probe_remote_write_queue_samples', { target: 'flaky-once' })).toBe(0);
  });

  it('does not retry samples the receiver refuses as bad (400): they are counted as failed', async () => {
    const receiver = await startReceiver([400]);
    stops.push(() => receiver.close());
    const remoteWrite = new RemoteWrite([target(receiver.url, 'refusing', { interval: 60_000 })], identity, logger);
    remoteWrite.start();
    await remoteWrite.stop(5000);
    expect(receiver.requests.map((r) => r.status)).toEqual([400]);
    expect(await metric('vendorwatch_probe_remote_write_samples_total', { target: 'refusing', result: 'failed' })).toBeGreaterThan(0);
    expect(await metric('vendorwatch_probe_remote_write_samples_total', { target: 'refusing', result: 'sent' })).toBe(0);
  });

  it('bounds the queue while the receiver is unreachable: the oldest samples are dropped and counted', async () => {
    const url = `http://127.0.0.1:${await freePort()}/api/v1/write`;
    const maxSamples = 1000;
    await run([target(url, 'down', { interval: 20, queue: { max_samples: maxSamples, max_samples_per_send: 100 } })]);
    await waitFor(async () => (await metric('vendorwatch_probe_remote_write_samples_total', { target: 'down', result: 'dropped' })) > 0, {
      what: 'dropped samples',
    });
    expect(await metric('vendorwatch_probe_remote_write_queue_samples', { target: 'down' })).toBeLessThanOrEqual(maxSamples);
    expect(await metric('vendorwatch_probe_remote_write_requests_total', { target: 'down', code: 'error' })).toBeGreaterThan(0);
  });

  it('exposes metrics that pass promtool check metrics', async () => {
    const { output } = promtoolCheckMetrics(await registry.metrics());
    expect(output.split('\n').filter((l) => l.includes('remote_write'))).toEqual([]);
  });
});
