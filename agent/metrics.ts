/**
 * Every vendorwatch metric, defined once (names and labels as in DESIGN.md).
 * Labels only ever take bounded values: config names, enums, regions, probe ids.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { dnsDetailsSchema } from '../config/checks/dns.ts';
import { httpDetailsSchema } from '../config/checks/http.ts';
import type { CheckResult } from '../config/result.ts';

export const registry = new Registry();

collectDefaultMetrics({ register: registry });
// prom-client's nodejs_active_*_total are gauges; promtool rejects a gauge named *_total.
for (const metric of registry.getMetricsAsArray()) {
  if (metric instanceof Gauge && metric.name.endsWith('_total')) registry.removeSingleMetric(metric.name);
}

/** Buckets for check phases: 1 ms to 30 s. */
export const phaseBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export const checkSuccess = new Gauge({
  name: 'vendorwatch_check_success',
  help: 'Whether the last run of a check succeeded (1) or failed (0).',
  labelNames: ['vendor', 'check', 'kind', 'region', 'probe'] as const,
  registers: [registry],
});

export const checkDegraded = new Gauge({
  name: 'vendorwatch_check_degraded',
  help: 'Whether the last run of a check passed but crossed a latency threshold (1) or not (0).',
  labelNames: ['vendor', 'check', 'kind', 'region', 'probe'] as const,
  registers: [registry],
});

export const checkDuration = new Histogram({
  name: 'vendorwatch_check_duration_seconds',
  help: 'Duration of each phase of a check run, in seconds.',
  labelNames: ['vendor', 'check', 'kind', 'region', 'phase'] as const,
  buckets: phaseBuckets,
  registers: [registry],
});

export const checkRuns = new Counter({
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
  if (r.kind === 'dns') recordDnsDetails(r);
  if (r.kind === 'http') recordHttpDetails(r);
}

// --- dns ---
// Per nameserver, from a DNS check's details. Nameserver names come from config (or a zone's NS
// set, at most 16 per check), so the label is bounded; answers never become labels.

const dnsLabels = ['vendor', 'check', 'region', 'nameserver'] as const;

export const dnsLookupDuration = new Histogram({
  name: 'vendorwatch_dns_lookup_duration_seconds',
  help: 'Time from the first query sent to a nameserver to its final reply (retries and TCP fallback included), in seconds.',
  labelNames: dnsLabels,
  buckets: phaseBuckets,
  registers: [registry],
});

export const dnsResponses = new Counter({
  name: 'vendorwatch_dns_responses_total',
  help: 'Replies from each nameserver by response code.',
  labelNames: [...dnsLabels, 'rcode'] as const,
  registers: [registry],
});

export const dnsSoaSerial = new Gauge({
  name: 'vendorwatch_dns_soa_serial',
  help: 'SOA serial of the zone each nameserver served on the last run.',
  labelNames: dnsLabels,
  registers: [registry],
});

export const dnsAnswerTtl = new Gauge({
  name: 'vendorwatch_dns_answer_ttl_seconds',
  help: 'Lowest TTL among the answer records each nameserver gave on the last run, in seconds.',
  labelNames: dnsLabels,
  registers: [registry],
});

function recordDnsDetails(r: CheckResult): void {
  const details = dnsDetailsSchema.safeParse(r.details);
  if (!details.success) return;
  for (const ns of details.data.nameservers) {
    const labels = { vendor: r.vendor, check: r.check, region: r.region, nameserver: ns.nameserver };
    if (ns.rcode !== undefined) {
      dnsResponses.inc({ ...labels, rcode: ns.rcode });
      if (ns.seconds !== undefined) dnsLookupDuration.observe(labels, ns.seconds);
    }
    // A nameserver that gave no serial or TTL this run has none: drop the series rather than keep a stale value.
    if (ns.serial !== undefined) dnsSoaSerial.set(labels, ns.serial);
    else dnsSoaSerial.remove(labels);
    if (ns.ttl !== undefined) dnsAnswerTtl.set(labels, ns.ttl);
    else dnsAnswerTtl.remove(labels);
  }
}

// --- http checks ---

export const httpCacheResponses = new Counter({
  name: 'vendorwatch_http_cache_responses_total',
  help: 'Responses to HTTP checks by edge cache status, normalised across vendors (hit, miss, stale, bypass, unknown).',
  labelNames: ['vendor', 'check', 'region', 'cache'] as const,
  registers: [registry],
});

export const httpCertExpiry = new Gauge({
  name: 'vendorwatch_http_cert_expiry_timestamp_seconds',
  help: 'When the earliest-expiring certificate an HTTP check was last shown expires, as a Unix time in seconds.',
  labelNames: ['vendor', 'check', 'region', 'probe'] as const,
  registers: [registry],
});

export const httpEdgeInfo = new Gauge({
  name: 'vendorwatch_http_edge_info',
  help: 'The CDN and edge location (POP) that served the last response to an HTTP check; always 1.',
  labelNames: ['vendor', 'check', 'region', 'probe', 'cdn', 'pop'] as const,
  registers: [registry],
});

/** The edge each check's series currently names, so a new edge replaces the old series instead of adding one. */
const currentEdge = new Map<string, { cdn: string; pop: string }>();

/** Records an HTTP check's cache status, certificate expiry and edge from its result's details. */
export function recordHttpDetails(r: CheckResult): void {
  const details = httpDetailsSchema.safeParse(r.details);
  if (!details.success) return;
  const d = details.data;
  const where = { vendor: r.vendor, check: r.check, region: r.region };
  if (d.cache) httpCacheResponses.inc({ ...where, cache: d.cache });
  const notAfter = Date.parse(d.tls?.cert?.not_after ?? '');
  if (!Number.isNaN(notAfter)) httpCertExpiry.set({ ...where, probe: r.probe }, notAfter / 1000);
  if (d.edge) {
    const key = `${r.check}\u0000${r.probe}`;
    const edge = { cdn: d.edge.cdn, pop: d.edge.pop ?? '' };
    const previous = currentEdge.get(key);
    if (previous && (previous.cdn !== edge.cdn || previous.pop !== edge.pop)) httpEdgeInfo.remove({ ...where, probe: r.probe, ...previous });
    currentEdge.set(key, edge);
    httpEdgeInfo.set({ ...where, probe: r.probe, ...edge }, 1);
  }
}
