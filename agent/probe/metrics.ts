/**
 * The probe's own metrics: every check run (success, degraded, phases, runs), the scheduler, the
 * push to collectors and the probe's clock. Each kind records its own families from its details
 * (agent/probe/checks/<kind>/metrics.ts), called through the runtime table.
 */
import { Counter, Gauge, Histogram } from 'prom-client';
import type { CheckResult } from '../../config/result.ts';
import { phaseBuckets, registry } from '../metrics.ts';
import { recordKindMetrics } from './checks/index.ts';

const checkSuccess = new Gauge({
  name: 'vendorwatch_check_success',
  help: 'Whether the last run of a check succeeded (1) or failed (0).',
  labelNames: ['vendor', 'check', 'kind', 'region', 'probe'] as const,
  registers: [registry],
});

const checkDegraded = new Gauge({
  name: 'vendorwatch_check_degraded',
  help: 'Whether the last run of a check passed but crossed a latency threshold (1) or not (0).',
  labelNames: ['vendor', 'check', 'kind', 'region', 'probe'] as const,
  registers: [registry],
});

const checkDuration = new Histogram({
  name: 'vendorwatch_check_duration_seconds',
  help: 'Duration of each phase of a check run, in seconds.',
  labelNames: ['vendor', 'check', 'kind', 'region', 'phase'] as const,
  buckets: phaseBuckets,
  registers: [registry],
});

const checkRuns = new Counter({
  name: 'vendorwatch_check_runs_total',
  help: 'Check runs by result (success, degraded, failure) and failure reason.',
  labelNames: ['vendor', 'check', 'kind', 'region', 'result', 'reason'] as const,
  registers: [registry],
});

export const checkSkips = new Counter({
  name: 'vendorwatch_check_skipped_runs_total',
  help: 'Scheduled runs skipped because the previous run of the same check had not finished.',
  labelNames: ['vendor', 'check'] as const,
  registers: [registry],
});

export const checksInFlight = new Gauge({
  name: 'vendorwatch_checks_in_flight',
  help: 'Check runs in progress on this probe.',
  registers: [registry],
});

/** Records one CheckResult on the probe-side metrics. */
export function recordCheckResult(r: CheckResult): void {
  const where = { vendor: r.vendor, check: r.check, kind: r.kind, region: r.region };
  checkSuccess.set({ ...where, probe: r.probe }, r.ok ? 1 : 0);
  checkDegraded.set({ ...where, probe: r.probe }, r.ok && r.degraded ? 1 : 0);
  for (const [phase, seconds] of Object.entries(r.phases)) checkDuration.observe({ ...where, phase }, seconds);
  const result = !r.ok ? 'failure' : r.degraded ? 'degraded' : 'success';
  checkRuns.inc({ ...where, result, reason: r.reason });
  recordKindMetrics(r);
}

// --- push ---

export const pushResults = new Counter({
  name: 'vendorwatch_push_results_total',
  help: 'Results a probe handed to a collector: delivered, rejected by the collector (bad batch, or a result too large even shrunk), or dropped (oldest first from a full spool; unspoolable ones left at shutdown).',
  labelNames: ['collector', 'result'] as const,
  registers: [registry],
});

export const pushRequests = new Counter({
  name: 'vendorwatch_push_requests_total',
  help: 'Pushes to a collector by HTTP status code ("error" when no answer came).',
  labelNames: ['collector', 'code'] as const,
  registers: [registry],
});

export const pushShrunkResults = new Counter({
  name: 'vendorwatch_push_shrunk_results_total',
  help: 'Results too large for a push batch whose message and details were cut to fit (marked details.truncated).',
  labelNames: ['collector'] as const,
  registers: [registry],
});

export const pushBatchSplits = new Counter({
  name: 'vendorwatch_push_batch_splits_total',
  help: 'Batches a collector refused as too large (413) and that were sent again in halves.',
  labelNames: ['collector'] as const,
  registers: [registry],
});

export const spoolWriteErrors = new Counter({
  name: 'vendorwatch_push_spool_write_errors_total',
  help: 'Batches that could not be written to the spool (e.g. a full disk); they wait in memory instead.',
  labelNames: ['collector'] as const,
  registers: [registry],
});

export const spoolResults = new Gauge({
  name: 'vendorwatch_push_spool_results',
  help: 'Results waiting for a collector: spooled on disk, or in memory while the spool cannot be written.',
  labelNames: ['collector'] as const,
  registers: [registry],
});

export const spoolBytes = new Gauge({
  name: 'vendorwatch_push_spool_bytes',
  help: 'Bytes of results waiting for a collector, on disk or in memory.',
  labelNames: ['collector'] as const,
  registers: [registry],
});

/**
 * The probe's own clock, read at each scrape (as node_exporter's node_time_seconds): Prometheus
 * compares it with the scrape's time to flag a skewed probe (ProbeClockSkew in `vendorwatch rules`).
 */
let probeClockLabels: { probe: string; region: string } | undefined;
new Gauge({
  name: 'vendorwatch_probe_time_seconds',
  help: "The probe's clock when scraped, in seconds since the epoch.",
  labelNames: ['probe', 'region'] as const,
  registers: [registry],
  collect() {
    if (probeClockLabels) this.set(probeClockLabels, Date.now() / 1000);
  },
});

/** Makes /metrics carry the probe's clock under its own id and region. */
export function exposeProbeClock(probe: string, region: string): void {
  probeClockLabels = { probe, region };
}
