/**
 * Which CDN and which edge location (POP) served a response, from its headers: first the
 * vendor registry's `identify` headers and the check's `pop_headers`, then well-known ones.
 */
import type { EdgeIdentity } from '../../../../config/checks/http.ts';
import { vendorForHeader, type VendorHosts } from '../../../../config/hosts.ts';

interface PopHeader {
  header: string;
  pattern?: string | undefined;
}

type Headers = Record<string, string>;

/** Well-known CDN fingerprints, most specific first (Fastly also sends `Via: varnish`). */
const CDNS: { cdn: string; seen: (h: Headers) => boolean }[] = [
  { cdn: 'cloudflare', seen: (h) => 'cf-ray' in h || /^cloudflare/i.test(h.server ?? '') },
  { cdn: 'cloudfront', seen: (h) => 'x-amz-cf-id' in h || 'x-amz-cf-pop' in h || /cloudfront/i.test(`${h.via ?? ''} ${h['x-cache'] ?? ''}`) },
  { cdn: 'fastly', seen: (h) => 'x-fastly-request-id' in h || /^cache-[a-z0-9-]+$/i.test(h['x-served-by']?.split(',').at(-1)?.trim() ?? '') },
  { cdn: 'akamai', seen: (h) => 'akamai-grn' in h || 'x-akamai-request-id' in h || /akamai/i.test(h.server ?? '') },
  { cdn: 'vercel', seen: (h) => 'x-vercel-id' in h },
  { cdn: 'netlify', seen: (h) => 'x-nf-request-id' in h },
  { cdn: 'bunny', seen: (h) => /bunnycdn/i.test(h.server ?? '') || 'cdn-pullzone' in h },
  { cdn: 'azure', seen: (h) => 'x-azure-ref' in h },
  { cdn: 'google', seen: (h) => /^(gws|Google Frontend|ESF)$/i.test(h.server ?? '') || /\bgoogle\b/i.test(h.via ?? '') },
  { cdn: 'varnish', seen: (h) => 'x-varnish' in h || /varnish/i.test(h.via ?? '') },
];

/** Well-known POP headers: cf-ray "8c2a...-FRA", x-amz-cf-pop "FRA56-P1", x-served-by "cache-fra-eddf8230035-FRA", x-vercel-id "fra1::...". */
const POPS: PopHeader[] = [
  { header: 'cf-ray', pattern: '-([A-Z]{3})$' },
  { header: 'x-amz-cf-pop', pattern: '^([A-Z]{3}\\d*)' },
  { header: 'x-served-by', pattern: '-([A-Z]{3})\\s*$' },
  { header: 'x-vercel-id', pattern: '^([a-z]{3}\\d)::' },
];

/** A POP name safe to keep and to use as a label value. */
function cleanPop(value: string): string | undefined {
  return value.replace(/[^A-Za-z0-9_.-]/g, '').slice(0, 32) || undefined;
}

function popFrom(headers: Headers, { header, pattern }: PopHeader): string | undefined {
  const value = headers[header.toLowerCase()];
  if (value === undefined) return undefined;
  if (!pattern) return cleanPop(value);
  const m = new RegExp(pattern).exec(value);
  return m ? cleanPop(m[1] ?? m[0]) : undefined;
}

export function identifyEdge(headers: Headers, vendors: readonly VendorHosts[], popHeaders: readonly PopHeader[] = []): EdgeIdentity {
  const identifyHeaders = new Set(vendors.flatMap((v) => (v.identify ? [v.identify.header.toLowerCase()] : [])));
  const registered = [...identifyHeaders].map((h) => headers[h] !== undefined && vendorForHeader(vendors, h, headers[h])).find(Boolean);
  const cdn = registered || (CDNS.find((c) => c.seen(headers))?.cdn ?? 'unknown');
  for (const p of [...popHeaders, ...POPS]) {
    const pop = popFrom(headers, p);
    if (pop) return { cdn, pop };
  }
  return { cdn };
}
