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

export interface VendorResources {
  count: number;
  /** Bytes over the wire (0 for cache hits and for entries without Timing-Allow-Origin). */
  bytes: number;
  /** Served from the browser cache: nothing transferred, yet a body decoded. */
  cacheHits: number;
  /** Status ≥ 400 where the browser exposes it. */
  failed: number;
  /** Cross-origin entries without Timing-Allow-Origin: sizes and phase timings read as zero. */
  noTimingAllowOrigin: number;
  /** Each entry's duration in milliseconds, rounded. */
  durationsMs: number[];
  /** Entries per protocol (h2, h3, http/1.1; "unknown" without Timing-Allow-Origin). */
  protocols: Record<string, number>;
  /** Entries per initiator type (script, img, css, fetch, ...). */
  types: Record<string, number>;
}

export const OTHER_VENDOR = 'other';

/** The vendor that delivered an entry: a Server-Timing entry naming a CDN wins over the host. */
export function vendorForEntry(entry: ResourceEntryLike, vendors: readonly VendorHosts[]): string {
  for (const st of entry.serverTiming ?? []) {
    const named = vendorForHeader(vendors, 'server-timing', st.description ? `${st.name};desc=${st.description}` : st.name);
    if (named) return named;
  }
  return vendorForUrl(vendors, entry.name) ?? OTHER_VENDOR;
}

function empty(): VendorResources {
  return { count: 0, bytes: 0, cacheHits: 0, failed: 0, noTimingAllowOrigin: 0, durationsMs: [], protocols: {}, types: {} };
}

export function summarizeResources(entries: Iterable<ResourceEntryLike>, vendors: readonly VendorHosts[]): Record<string, VendorResources> {
  const out: Record<string, VendorResources> = {};
  for (const e of entries) {
    const vendor = vendorForEntry(e, vendors);
    const s = (out[vendor] ??= empty());
    s.count++;
    s.bytes += e.transferSize;
    if (e.transferSize === 0 && e.decodedBodySize > 0) s.cacheHits++;
    if ((e.responseStatus ?? 0) >= 400) s.failed++;
    if (e.responseStart === 0) s.noTimingAllowOrigin++;
    s.durationsMs.push(Math.round(e.duration));
    const protocol = e.nextHopProtocol || 'unknown';
    s.protocols[protocol] = (s.protocols[protocol] ?? 0) + 1;
    s.types[e.initiatorType] = (s.types[e.initiatorType] ?? 0) + 1;
  }
  return out;
}
