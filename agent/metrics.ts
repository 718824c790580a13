/**
 * Every vendorwatch metric, defined once (docs/operations.md lists them).
 * Labels only ever take bounded values: config names, enums, regions, probe ids.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { dnsDetailsSchema } from '../config/checks/dns.ts';
import { browserDetailsSchema } from '../config/checks/browser.ts';
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
  if (r.kind === 'browser') recordBrowserDetails(r);
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

// --- browser checks ---

/** Buckets for transaction steps and requests: 10 ms to 60 s. */
const browserBuckets = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export const browserStepDuration = new Histogram({
  name: 'vendorwatch_browser_step_duration_seconds',
  help: 'Duration of each named step of a browser transaction, in seconds.',
  labelNames: ['vendor', 'check', 'region', 'step'] as const,
  buckets: browserBuckets,
  registers: [registry],
});

export const browserRequestDuration = new Histogram({
  name: 'vendorwatch_browser_request_duration_seconds',
  help: 'Resource Timing duration of requests made by browser checks, by the vendor that served them (or "other"), in seconds.',
  labelNames: ['check', 'region', 'vendor'] as const,
  buckets: browserBuckets,
  registers: [registry],
});

export const browserFailedRequests = new Counter({
  name: 'vendorwatch_browser_failed_requests_total',
  help: 'Requests of browser checks that failed (network error or HTTP status >= 400), by the vendor that served them.',
  labelNames: ['check', 'region', 'vendor'] as const,
  registers: [registry],
});

export const browserWebVital = new Histogram({
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
function recordBrowserDetails(r: CheckResult): void {
  const parsed = browserDetailsSchema.safeParse(r.details);
  if (!parsed.success) return;
  const d = parsed.data;
  const where = { check: r.check, region: r.region };
  for (const s of d.steps) browserStepDuration.observe({ vendor: r.vendor, ...where, step: stepLabel(r.check, s.name) }, s.durationMs / 1000);
  for (const [vendor, summary] of Object.entries(d.vendors)) {
    for (const ms of summary.durationsMs ?? []) browserRequestDuration.observe({ ...where, vendor }, ms / 1000);
  }
  for (const f of d.failedRequests) browserFailedRequests.inc({ ...where, vendor: f.vendor });
  for (const page of d.pages) {
    for (const [vital, value] of Object.entries(page.vitals)) browserWebVital.observe({ ...where, vital }, vital === 'CLS' ? value : value / 1000);
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

// --- push, consensus, vendor state, probe health, alerts (collector) ---

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

export const httpConnectionsDropped = new Counter({
  name: 'vendorwatch_http_connections_dropped_total',
  help: 'Connections the agent\'s HTTP server closed on arrival because it already held its maximum.',
  registers: [registry],
});

/**
 * The probe's own clock, read at each scrape (as node_exporter's node_time_seconds): Prometheus
 * compares it with the scrape's time to flag a skewed probe (ProbeClockSkew in `vendorwatch rules`).
 */
let probeClockLabels: { probe: string; region: string } | undefined;
export const probeTime = new Gauge({
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

export const probeClockSkew = new Gauge({
  name: 'vendorwatch_probe_clock_skew_seconds',
  help: "How far a probe's clock is behind the collector's (negative: ahead), once measured over a minute of pushes.",
  labelNames: ['probe', 'region'] as const,
  registers: [registry],
});

export const ingestRequests = new Counter({
  name: 'vendorwatch_ingest_requests_total',
  help: 'Result pushes received, by HTTP status answered.',
  labelNames: ['code'] as const,
  registers: [registry],
});

export const ingestResults = new Counter({
  name: 'vendorwatch_ingest_results_total',
  help: 'Results received by the collector: accepted, duplicate (same id seen before) or unknown_check (not in this collector\'s config).',
  labelNames: ['probe', 'result'] as const,
  registers: [registry],
});

export const vendorStateGauge = new Gauge({
  name: 'vendorwatch_vendor_state',
  help: 'Vendor state conditions: 1 for every condition that holds (the state is the most severe), 0 otherwise.',
  labelNames: ['vendor', 'state'] as const,
  registers: [registry],
});

export const vendorRegionState = new Gauge({
  name: 'vendorwatch_vendor_region_state',
  help: 'Vendor state conditions in one region, judged on that region alone: 1 where it holds.',
  labelNames: ['vendor', 'region', 'state'] as const,
  registers: [registry],
});

export const vendorStateChanges = new Counter({
  name: 'vendorwatch_vendor_state_changes_total',
  help: 'Vendor state changes.',
  labelNames: ['vendor', 'from', 'to'] as const,
  registers: [registry],
});

export const vendorFlapping = new Gauge({
  name: 'vendorwatch_vendor_flapping',
  help: 'Whether a vendor is flapping (1): its state changed too often; one VendorFlapping alert stands for it.',
  labelNames: ['vendor'] as const,
  registers: [registry],
});

const voteKinds = ['ok', 'degraded', 'failing', 'excluded'] as const;

/** One (check, region)'s votes in the last evaluation, by kind. */
export type VoteCounts = { vendor: string; check: string; region: string } & Record<(typeof voteKinds)[number], number>;

let lastVoteCounts: readonly VoteCounts[] = [];

/** Keeps the last evaluation's vote counts for vendorwatch_consensus_votes. */
export function setConsensusVotes(counts: readonly VoteCounts[]): void {
  lastVoteCounts = counts;
}

new Gauge({
  name: 'vendorwatch_consensus_votes',
  help: 'Votes in the consensus window per check and region: ok, degraded, failing, or excluded (from unhealthy probes).',
  labelNames: ['vendor', 'check', 'region', 'vote'] as const,
  registers: [registry],
  // Filled when scraped, not on every evaluation: with 1,000 checks in 5 regions these are 20,000
  // series, and setting them one by one cost each evaluation some 50 ms (bench/consensus.ts).
  collect() {
    this.reset();
    for (const { vendor, check, region, ...votes } of lastVoteCounts) {
      for (const vote of voteKinds) this.set({ vendor, check, region, vote }, votes[vote]);
    }
  },
});

export const probeUp = new Gauge({
  name: 'vendorwatch_probe_up',
  help: 'Whether a probe reported within probe_down_after (1) or is probe_down (0).',
  labelNames: ['probe', 'region'] as const,
  registers: [registry],
});

export const probeUnhealthy = new Gauge({
  name: 'vendorwatch_probe_unhealthy',
  help: 'Whether a probe fails what its peers pass across vendors (1); its votes are then ignored.',
  labelNames: ['probe', 'region'] as const,
  registers: [registry],
});

export const evaluationDuration = new Histogram({
  name: 'vendorwatch_consensus_evaluation_duration_seconds',
  help: 'Time one evaluation of consensus, vendor states and alerts took.',
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
  registers: [registry],
});

export const alertDeliveries = new Counter({
  name: 'vendorwatch_alert_deliveries_total',
  help: 'Alert deliveries per receiver: delivered, failed (an attempt; retried) or dropped (gave up after retries).',
  labelNames: ['receiver', 'result'] as const,
  registers: [registry],
});

export const journalWriteErrors = new Counter({
  name: 'vendorwatch_journal_write_errors_total',
  help: 'Journal lines lost because they could not be written (e.g. a full disk), and failed writes of the hourly results file (retried); the collector keeps running.',
  registers: [registry],
});

export const journalSkippedLines = new Counter({
  name: 'vendorwatch_journal_skipped_lines_total',
  help: 'Journal lines skipped when read because they do not parse (torn by a crash or a full disk, or edited by hand).',
  registers: [registry],
});

// --- rum (agent/collector/rum/aggregate.ts records these; every label is a config name or a fixed set) ---

/** Navigation phases and resource durations: 5 ms to 30 s. */
const rumBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.8, 1, 1.5, 2, 3, 5, 8, 13, 30];
/** Shared by all vitals, with each web-vitals threshold as a boundary: CLS 0.1/0.25, INP 0.2/0.5, TTFB 0.8/1.8, FCP 1.8/3, LCP 2.5/4. */
const webVitalBuckets = [0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.35, 0.5, 0.8, 1, 1.3, 1.8, 2.5, 3, 4, 6, 10, 20];

export const rumBeacons = new Counter({
  name: 'vendorwatch_rum_beacons_total',
  help: 'Beacons received, by result (accepted, rejected) and reason (ok, or why it was rejected).',
  labelNames: ['result', 'reason'] as const,
  registers: [registry],
});

export const rumPageViews = new Counter({
  name: 'vendorwatch_rum_page_views_total',
  help: 'Page views measured by the beacon, by how they began (navigate, reload, back_forward, prerender, bfcache, route).',
  labelNames: ['page_group', 'type'] as const,
  registers: [registry],
});

export const rumDocuments = new Counter({
  name: 'vendorwatch_rum_documents_total',
  help: 'Documents loaded over the network, by HTTP protocol.',
  labelNames: ['page_group', 'protocol'] as const,
  registers: [registry],
});

export const rumNavigation = new Histogram({
  name: 'vendorwatch_rum_navigation_seconds',
  help: 'Navigation Timing phases of document loads (load: navigation start to the end of the load event), in seconds.',
  labelNames: ['page_group', 'phase'] as const,
  buckets: rumBuckets,
  registers: [registry],
});

export const rumResourceDuration = new Histogram({
  name: 'vendorwatch_rum_resource_seconds',
  help: 'Resource load durations per vendor, type and cache outcome (hit, miss, unknown without Timing-Allow-Origin), in seconds.',
  labelNames: ['vendor', 'type', 'cache'] as const,
  buckets: rumBuckets,
  registers: [registry],
});

export const rumWebVital = new Histogram({
  name: 'vendorwatch_rum_web_vital',
  help: 'Core Web Vitals (LCP, INP, FCP, TTFB in seconds; CLS unitless), with the vendor behind the LCP resource or slow INP script ("none" when no vendor is to blame).',
  labelNames: ['vital', 'page_group', 'vendor'] as const,
  buckets: webVitalBuckets,
  registers: [registry],
});

export const rumResources = new Counter({
  name: 'vendorwatch_rum_resources_total',
  help: 'Resources loaded by pages, per vendor and protocol.',
  labelNames: ['vendor', 'protocol'] as const,
  registers: [registry],
});

export const rumResourceBytes = new Counter({
  name: 'vendorwatch_rum_resource_bytes_total',
  help: 'Bytes transferred for resources, per vendor (0 for cache hits and entries without Timing-Allow-Origin).',
  labelNames: ['vendor'] as const,
  registers: [registry],
});

export const rumResourceCacheHits = new Counter({
  name: 'vendorwatch_rum_resource_cache_hits_total',
  help: 'Resources served from the browser cache, per vendor.',
  labelNames: ['vendor'] as const,
  registers: [registry],
});

export const rumResourceFailures = new Counter({
  name: 'vendorwatch_rum_resource_failures_total',
  help: 'Resources that failed to load (status >= 400, or an error event on a script, image or stylesheet), per vendor.',
  labelNames: ['vendor'] as const,
  registers: [registry],
});

export const rumResourcesWithoutTimingAllowOrigin = new Counter({
  name: 'vendorwatch_rum_resources_without_timing_allow_origin_total',
  help: 'Cross-origin resources without Timing-Allow-Origin, whose sizes and phases the browser hides, per vendor.',
  labelNames: ['vendor'] as const,
  registers: [registry],
});

export const rumResourceEntriesLost = new Counter({
  name: 'vendorwatch_rum_resource_entries_lost_total',
  help: 'Resource Timing entries browsers dropped (full buffer) before the beacon could observe them.',
  registers: [registry],
});
