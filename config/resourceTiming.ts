/**
 * Resource Timing summarised per vendor. Pure (no DOM globals), so the same code runs in the
 * beacon inside real users' pages and in browser checks on entries read out of a page. It lives in
 * config/ beside hosts.ts for that reason and, like it, stays free of Node and zod at runtime: it
 * takes only types from vendorResources.ts.
 */
import { vendorForHeader, vendorForUrl, type VendorHosts } from './hosts.ts';
import type { CacheOutcome, ResourceType, VendorResources } from './vendorResources.ts';

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
