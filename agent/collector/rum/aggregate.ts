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
  rumVendorPageViews,
  rumWebVital,
} from './metrics.ts';
import type { Series } from './series.ts';

const OTHER = 'other';
/** The vendor label of a vital nothing in particular is to blame for (CLS, FCP, TTFB, a text LCP). */
const NO_VENDOR = 'none';
const protocols = new Set(['h3', 'h2', 'http/1.1', 'http/1.0', 'unknown']);

/** Counts one accepted beacon from `region` (one of the configured regions or "other": bounded by the caller, rum/region.ts). */
type BeaconRecorder = (beacon: Beacon, region: string) => void;
type ResourceType = Beacon['resources'][string]['samples'][number][0];
type CacheOutcome = Beacon['resources'][string]['samples'][number][1];

export function beaconRecorder(config: Config): BeaconRecorder {
  const vendors = new Set(config.vendors.map((v) => v.name));
  const groups = new Set(config.rum.page_groups.map((g) => g.name));
  const vendorLabel = (name: string) => (vendors.has(name) ? name : OTHER);
  const protocolLabel = (p: string) => (protocols.has(p) ? p : OTHER);

  /** The series one vendor's resources count in from one region, looked up once per (vendor, region) label pair (a bounded set). */
  const seriesOf = (vendor: string, region: string) => {
    const durations = new Map<ResourceType, Map<CacheOutcome, Series<'vendor' | 'type' | 'cache' | 'region'>>>();
    return {
      pageViews: rumVendorPageViews.series({ vendor }),
      resources: (protocol: string) => rumResources.series({ vendor, protocol, region }),
      bytes: rumResourceBytes.series({ vendor }),
      cacheHits: rumResourceCacheHits.series({ vendor }),
      failures: rumResourceFailures.series({ vendor, region }),
      withoutTimingAllowOrigin: rumResourcesWithoutTimingAllowOrigin.series({ vendor }),
      duration(type: ResourceType, cache: CacheOutcome) {
        let ofType = durations.get(type);
        if (!ofType) durations.set(type, (ofType = new Map()));
        let found = ofType.get(cache);
        if (!found) ofType.set(cache, (found = rumResourceDuration.series({ vendor, type, cache, region })));
        return found;
      },
    };
  };
  const byVendorRegion = new Map<string, ReturnType<typeof seriesOf>>();
  const lost = rumResourceEntriesLost.series({});

  return (b, region) => {
    const page_group = groups.has(b.group) ? b.group : OTHER;
    rumPageViews.inc(rumPageViews.series({ page_group, type: b.type }));
    if (b.protocol) rumDocuments.inc(rumDocuments.series({ page_group, protocol: protocolLabel(b.protocol) }));
    for (const [phase, ms] of Object.entries(b.phases ?? {})) rumNavigation.observe(rumNavigation.series({ page_group, phase, region }), ms / 1000);
    for (const [vital, { value, vendor }] of Object.entries(b.vitals ?? {})) {
      const series = rumWebVital.series({ vital, page_group, vendor: vendor ? vendorLabel(vendor) : NO_VENDOR });
      rumWebVital.observe(series, vital === 'CLS' ? value : value / 1000);
    }
    for (const [name, r] of Object.entries(b.resources)) {
      const vendor = vendorLabel(name);
      const key = `${vendor}\u0000${region}`;
      let of = byVendorRegion.get(key);
      if (!of) byVendorRegion.set(key, (of = seriesOf(vendor, region)));
      rumVendorPageViews.inc(of.pageViews);
      let counted = 0;
      for (const [protocol, n] of Object.entries(r.protocols)) {
        rumResources.inc(of.resources(protocolLabel(protocol)), n);
        counted += n;
      }
      if (r.count > counted) rumResources.inc(of.resources('unknown'), r.count - counted);
      rumResourceBytes.inc(of.bytes, r.bytes);
      rumResourceCacheHits.inc(of.cacheHits, r.cacheHits);
      rumResourceFailures.inc(of.failures, r.failed);
      rumResourcesWithoutTimingAllowOrigin.inc(of.withoutTimingAllowOrigin, r.noTimingAllowOrigin);
      for (const [type, cache, ms] of r.samples) rumResourceDuration.observe(of.duration(type, cache), ms / 1000);
    }
    rumResourceEntriesLost.inc(lost, b.lost);
  };
}
