/**
 * Remote write's own metrics, per receiver. `target` is the receiver's configured name or its
 * position in probe.remote_write, never its URL.
 */
import { Counter, Gauge } from 'prom-client';
import { registry } from '../../metrics.ts';

export const remoteWriteSamples = new Counter({
  name: 'vendorwatch_probe_remote_write_samples_total',
  help: 'Samples for a remote-write receiver: sent (2xx), failed (refused with a 4xx other than 429: bad data, not retried) or dropped (oldest first from a full queue, or left when the probe stopped).',
  labelNames: ['target', 'result'] as const,
  registers: [registry],
});

export const remoteWriteRequests = new Counter({
  name: 'vendorwatch_probe_remote_write_requests_total',
  help: 'Remote-write requests by HTTP status code ("error" when no answer came); 5xx, 429 and errors are retried.',
  labelNames: ['target', 'code'] as const,
  registers: [registry],
});

export const remoteWriteQueueSamples = new Gauge({
  name: 'vendorwatch_probe_remote_write_queue_samples',
  help: 'Samples waiting to be sent to a remote-write receiver.',
  labelNames: ['target'] as const,
  registers: [registry],
});
