/**
 * Real-user monitoring metrics, recorded by the collector from beacons (rum/routes.ts,
 * rum/aggregate.ts); every label is a config name or a fixed set. Those a beacon's numbers go to
 * are lean (series.ts): they cost a few additions per observation.
 */
import { Counter } from 'prom-client';
import { registry } from '../../metrics.ts';
import { rumBuckets } from './buckets.ts';
import { LeanCounter, LeanHistogram } from './series.ts';

/** Shared by all vitals, with each web-vitals threshold as a boundary: CLS 0.1/0.25, INP 0.2/0.5, TTFB 0.8/1.8, FCP 1.8/3, LCP 2.5/4. */
const webVitalBuckets = [0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.35, 0.5, 0.8, 1, 1.3, 1.8, 2.5, 3, 4, 6, 10, 20];

export const rumBeacons = new Counter({
  name: 'vendorwatch_rum_beacons_total',
  help: 'Beacons received, by result (accepted, rejected) and reason (ok, or why it was rejected).',
  labelNames: ['result', 'reason'] as const,
  registers: [registry],
});

export const rumPageViews = new LeanCounter({
  name: 'vendorwatch_rum_page_views_total',
  help: 'Page views measured by the beacon, by how they began (navigate, reload, back_forward, prerender, bfcache, route).',
  labelNames: ['page_group', 'type'] as const,
  registers: [registry],
});

export const rumDocuments = new LeanCounter({
  name: 'vendorwatch_rum_documents_total',
  help: 'Documents loaded over the network, by HTTP protocol.',
  labelNames: ['page_group', 'protocol'] as const,
  registers: [registry],
});

export const rumNavigation = new LeanHistogram({
  name: 'vendorwatch_rum_navigation_seconds',
  help: 'Navigation Timing phases of document loads (load: navigation start to the end of the load event), in seconds, by page group, phase and region (rum.regions, else other).',
  labelNames: ['page_group', 'phase', 'region'] as const,
  buckets: rumBuckets,
  registers: [registry],
});

export const rumResourceDuration = new LeanHistogram({
  name: 'vendorwatch_rum_resource_seconds',
  help: 'Resource load durations per vendor, type, cache outcome (hit, miss, unknown without Timing-Allow-Origin) and region, in seconds.',
  labelNames: ['vendor', 'type', 'cache', 'region'] as const,
  buckets: rumBuckets,
  registers: [registry],
});

export const rumWebVital = new LeanHistogram({
  name: 'vendorwatch_rum_web_vital',
  help: 'Core Web Vitals (LCP, INP, FCP, TTFB in seconds; CLS unitless), with the vendor behind the LCP resource or slow INP script ("none" when no vendor is to blame).',
  labelNames: ['vital', 'page_group', 'vendor'] as const,
  buckets: webVitalBuckets,
  registers: [registry],
});

export const rumResources = new LeanCounter({
  name: 'vendorwatch_rum_resources_total',
  help: 'Resources loaded by pages, per vendor, protocol and region.',
  labelNames: ['vendor', 'protocol', 'region'] as const,
  registers: [registry],
});

export const rumResourceBytes = new LeanCounter({
  name: 'vendorwatch_rum_resource_bytes_total',
  help: 'Bytes transferred for resources, per vendor (0 for cache hits and entries without Timing-Allow-Origin).',
  labelNames: ['vendor'] as const,
  registers: [registry],
});

export const rumResourceCacheHits = new LeanCounter({
  name: 'vendorwatch_rum_resource_cache_hits_total',
  help: 'Resources served from the browser cache, per vendor.',
  labelNames: ['vendor'] as const,
  registers: [registry],
});

export const rumResourceFailures = new LeanCounter({
  name: 'vendorwatch_rum_resource_failures_total',
  help: 'Resources that failed to load (status >= 400, or an error event on a script, image or stylesheet), per vendor and region.',
  labelNames: ['vendor', 'region'] as const,
  registers: [registry],
});

export const rumResourcesWithoutTimingAllowOrigin = new LeanCounter({
  name: 'vendorwatch_rum_resources_without_timing_allow_origin_total',
  help: 'Cross-origin resources without Timing-Allow-Origin, whose sizes and phases the browser hides, per vendor.',
  labelNames: ['vendor'] as const,
  registers: [registry],
});

export const rumResourceEntriesLost = new LeanCounter({
  name: 'vendorwatch_rum_resource_entries_lost_total',
  help: 'Resource Timing entries browsers dropped (full buffer) before the beacon could observe them.',
  registers: [registry],
});

export const rumVendorPageViews = new LeanCounter({
  name: 'vendorwatch_rum_vendor_page_views_total',
  help: 'Page views that loaded at least one resource of the vendor (the traffic behind its RUM SLIs).',
  labelNames: ['vendor'] as const,
  registers: [registry],
});
