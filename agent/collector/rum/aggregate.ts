/**
 * Server-side RUM aggregation: a validated beacon becomes Prometheus observations. Every label
 * is bounded here, whatever a beacon says: vendors outside the registry and unknown page groups
 * become "other", protocols fall into a fixed set; types, cache outcomes, phases and vitals were
 * already held to their enums by the schema.
 */
import type { Beacon } from '../../../config/beacon.ts';
import type { Config } from '../../../config/schema.ts';
import {
  rumDocuments,
  rumNavigation,
  rumPageViews,
  rumResourceBytes,
  rumResourceCacheHits,
  rumResourceDuration,
  rumResourceEntriesLost,
  rumResourceFailures,
  rumResources,
  rumResourcesWithoutTimingAllowOrigin,
  rumWebVital,
} from './metrics.ts';

const OTHER = 'other';
/** The vendor label of a vital nothing in particular is to blame for (CLS, FCP, TTFB, a text LCP). */
const NO_VENDOR = 'none';
const protocols = new Set(['h3', 'h2', 'http/1.1', 'http/1.0', 'unknown']);

/** Counts one accepted beacon from `region` (one of the configured regions or "other": bounded by the caller, rum/region.ts). */
type BeaconRecorder = (beacon: Beacon, region: string) => void;

export function beaconRecorder(config: Config): BeaconRecorder {
  const vendors = new Set(config.vendors.map((v) => v.name));
  const groups = new Set(config.rum.page_groups.map((g) => g.name));
  const vendorLabel = (name: string) => (vendors.has(name) ? name : OTHER);
  const protocolLabel = (p: string) => (protocols.has(p) ? p : OTHER);

  return (b, region) => {
    const page_group = groups.has(b.group) ? b.group : OTHER;
    rumPageViews.inc({ page_group, type: b.type });
    if (b.protocol) rumDocuments.inc({ page_group, protocol: protocolLabel(b.protocol) });
    for (const [phase, ms] of Object.entries(b.phases ?? {})) rumNavigation.observe({ page_group, phase, region }, ms / 1000);
    for (const [vital, { value, vendor }] of Object.entries(b.vitals ?? {})) {
      rumWebVital.observe({ vital, page_group, vendor: vendor ? vendorLabel(vendor) : NO_VENDOR }, vital === 'CLS' ? value : value / 1000);
    }
    for (const [name, r] of Object.entries(b.resources)) {
      const vendor = vendorLabel(name);
      let counted = 0;
      for (const [protocol, n] of Object.entries(r.protocols)) {
        rumResources.inc({ vendor, protocol: protocolLabel(protocol), region }, n);
        counted += n;
      }
      if (r.count > counted) rumResources.inc({ vendor, protocol: 'unknown', region }, r.count - counted);
      rumResourceBytes.inc({ vendor }, r.bytes);
      rumResourceCacheHits.inc({ vendor }, r.cacheHits);
      rumResourceFailures.inc({ vendor, region }, r.failed);
      rumResourcesWithoutTimingAllowOrigin.inc({ vendor }, r.noTimingAllowOrigin);
      for (const [type, cache, ms] of r.samples) rumResourceDuration.observe({ vendor, type, cache, region }, ms / 1000);
    }
    rumResourceEntriesLost.inc(b.lost);
  };
}
