/** A browser check's own metrics, from its details, and the probe Chromium's. */
import { Counter, Gauge, Histogram } from 'prom-client';
import { reportedDetails, type ResultOfKind } from '../../../../config/result.ts';
import { registry } from '../../../metrics.ts';

/** Buckets for transaction steps and requests: 10 ms to 60 s. */
const browserBuckets = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

const browserStepDuration = new Histogram({
  name: 'vendorwatch_browser_step_duration_seconds',
  help: 'Duration of each named step of a browser transaction, in seconds.',
  labelNames: ['vendor', 'check', 'region', 'step'] as const,
  buckets: browserBuckets,
  registers: [registry],
});

const browserRequestDuration = new Histogram({
  name: 'vendorwatch_browser_request_duration_seconds',
  help: 'Resource Timing duration of requests made by browser checks, by the vendor that served them (or "other"), in seconds.',
  labelNames: ['check', 'region', 'vendor'] as const,
  buckets: browserBuckets,
  registers: [registry],
});

const browserFailedRequests = new Counter({
  name: 'vendorwatch_browser_failed_requests_total',
  help: 'Requests of browser checks that failed (network error or HTTP status >= 400), by the vendor that served them.',
  labelNames: ['check', 'region', 'vendor'] as const,
  registers: [registry],
});

const browserWebVital = new Histogram({
  name: 'vendorwatch_browser_web_vital',
  help: 'Web vitals of the pages browser checks visit: LCP, FCP, TTFB, INP in seconds, CLS unitless.',
  labelNames: ['check', 'region', 'vital'] as const,
  buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 4, 10, 30],
  registers: [registry],
});

export const browserLaunches = new Counter({
  name: 'vendorwatch_browser_launches_total',
  help: 'Chromium launches by this probe: start (first or after idle), crash (it exited), hang (it stopped answering and was killed), recycle (replaced after many runs).',
  labelNames: ['reason'] as const,
  registers: [registry],
});

export const browserContexts = new Gauge({
  name: 'vendorwatch_browser_contexts',
  help: 'Browser contexts open in the probe Chromium (one per browser check run in progress).',
  registers: [registry],
});

/** Step names come from scripts; past this many per check, further names share the label "other". */
const MAX_STEP_NAMES = 30;
const stepNames = new Map<string, Set<string>>();

function stepLabel(check: string, step: string): string {
  const seen = stepNames.get(check) ?? stepNames.set(check, new Set()).get(check)!;
  if (seen.has(step)) return step;
  if (seen.size >= MAX_STEP_NAMES) return 'other';
  seen.add(step);
  return step;
}

/** Steps, per-vendor request timings, failed requests and web vitals of one browser check result. */
export function record(r: ResultOfKind<'browser'>): void {
  const d = reportedDetails(r);
  if (!d) return;
  const where = { check: r.check, region: r.region };
  for (const s of d.steps ?? []) browserStepDuration.observe({ vendor: r.vendor, ...where, step: stepLabel(r.check, s.name) }, s.durationMs / 1000);
  for (const [vendor, summary] of Object.entries(d.vendors ?? {})) {
    for (const ms of summary.durationsMs ?? []) browserRequestDuration.observe({ ...where, vendor }, ms / 1000);
  }
  for (const f of d.failedRequests ?? []) browserFailedRequests.inc({ ...where, vendor: f.vendor });
  for (const page of d.pages ?? []) {
    for (const [vital, value] of Object.entries(page.vitals)) browserWebVital.observe({ ...where, vital }, vital === 'CLS' ? value : value / 1000);
  }
}
