/**
 * Resource Timing summarised per vendor. Pure (no DOM globals), so the same code runs in the
 * beacon inside real users' pages and in browser checks on entries read out of a page.
 */
import { vendorForHeader, vendorForUrl, type VendorHosts } from '../../config/hosts.ts';

/** The fields of a PerformanceResourceTiming this summary reads. */
export interface ResourceEntryLike {
  name: string;
  initiatorType: string;
  duration: number;
  transferSize: number;
  encodedBodySize: number;
  decodedBodySize: number;
  responseStart: number;
  nextHopProtocol: string;
  /** Chromium ≥ 109; 0 when unknown or when cross-origin without CORS. */
  responseStatus?: number;
  serverTiming?: readonly { name: string; description: string }[];
}

/** Resource types, a bounded set (the browser's initiatorType has many more values). */
export const resourceTypes = ['script', 'css', 'img', 'fetch', 'frame', 'media', 'other'] as const;
export type ResourceType = (typeof resourceTypes)[number];

/** Whether an entry came from the browser cache; "unknown" without Timing-Allow-Origin (sizes read 0). */
export const cacheOutcomes = ['hit', 'miss', 'unknown'] as const;
export type CacheOutcome = (typeof cacheOutcomes)[number];

/** One entry, reduced to what a duration histogram needs: [type, cache, duration in ms]. */
export type ResourceSample = [ResourceType, CacheOutcome, number];

export interface VendorResources {
  count: number;
  /** Bytes over the wire (0 for cache hits and for entries without Timing-Allow-Origin). */
  bytes: number;
  /** Served from the browser cache: nothing transferred, yet a body decoded. */
  cacheHits: number;
  /** Status ≥ 400 where the browser exposes it, plus loads that fired an error event (counted once). */
  failed: number;
  /** Cross-origin entries without Timing-Allow-Origin: sizes and phase timings read as zero. */
  noTimingAllowOrigin: number;
  /** Each entry's duration in milliseconds, rounded. */
  durationsMs: number[];
  /** Entries per protocol (h2, h3, http/1.1; "unknown" without Timing-Allow-Origin). */
  protocols: Record<string, number>;
  /** Entries per initiator type (script, img, css, fetch, ...). */
  types: Record<string, number>;
  /** Each entry's bounded type, cache outcome and rounded duration, for histograms. */
  samples: ResourceSample[];
}

export const OTHER_VENDOR = 'other';

const typeOfInitiator: Record<string, ResourceType> = {
  script: 'script',
  link: 'css',
  css: 'css',
  img: 'img',
  image: 'img',
  input: 'img',
  fetch: 'fetch',
  xmlhttprequest: 'fetch',
  beacon: 'fetch',
  iframe: 'frame',
  frame: 'frame',
  embed: 'frame',
  object: 'frame',
  video: 'media',
  audio: 'media',
  track: 'media',
};

export function resourceType(initiatorType: string): ResourceType {
  return typeOfInitiator[initiatorType] ?? 'other';
}

export function cacheOutcome(e: ResourceEntryLike): CacheOutcome {
  if (e.transferSize > 0) return 'miss';
  return e.decodedBodySize > 0 ? 'hit' : 'unknown';
}

/** The vendor that delivered an entry: a Server-Timing entry naming a CDN wins over the host. */
export function vendorForEntry(entry: ResourceEntryLike, vendors: readonly VendorHosts[]): string {
  for (const st of entry.serverTiming ?? []) {
    const named = vendorForHeader(vendors, 'server-timing', st.description ? `${st.name};desc=${st.description}` : st.name);
    if (named) return named;
  }
  return vendorForUrl(vendors, entry.name) ?? OTHER_VENDOR;
}

function empty(): VendorResources {
  return { count: 0, bytes: 0, cacheHits: 0, failed: 0, noTimingAllowOrigin: 0, durationsMs: [], protocols: {}, types: {}, samples: [] };
}

/**
 * @param failedLoads URLs of elements whose load fired an error event (a cross-origin script's
 *   failure shows no status); one that also has an entry with status ≥ 400 counts once.
 */
export function summarizeResources(
  entries: Iterable<ResourceEntryLike>,
  vendors: readonly VendorHosts[],
  failedLoads: Iterable<string> = [],
): Record<string, VendorResources> {
  const out: Record<string, VendorResources> = {};
  const failedByStatus = new Set<string>();
  for (const e of entries) {
    const vendor = vendorForEntry(e, vendors);
    const s = (out[vendor] ??= empty());
    const cache = cacheOutcome(e);
    const ms = Math.round(e.duration);
    s.count++;
    s.bytes += e.transferSize;
    if (cache === 'hit') s.cacheHits++;
    if ((e.responseStatus ?? 0) >= 400) {
      s.failed++;
      failedByStatus.add(e.name);
    }
    if (e.responseStart === 0) s.noTimingAllowOrigin++;
    s.durationsMs.push(ms);
    s.samples.push([resourceType(e.initiatorType), cache, ms]);
    const protocol = e.nextHopProtocol || 'unknown';
    s.protocols[protocol] = (s.protocols[protocol] ?? 0) + 1;
    s.types[e.initiatorType] = (s.types[e.initiatorType] ?? 0) + 1;
  }
  for (const url of failedLoads) {
    if (failedByStatus.has(url)) continue;
    (out[vendorForUrl(vendors, url) ?? OTHER_VENDOR] ??= empty()).failed++;
  }
  return out;
}
