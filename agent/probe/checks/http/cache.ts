/**
 * What the edge cache did with a response, normalised across vendors, and whether a shared
 * cache may keep it (RFC 9111, RFC 9211 Cache-Status, RFC 9213 CDN-Cache-Control).
 */
import type { Cacheability, CacheReading, CacheStatus } from '../../../../config/checks/http.ts';

/** Headers with a vendor's HIT/MISS-style word, in the order they are trusted. */
const WORD_HEADERS = ['cf-cache-status', 'x-vercel-cache', 'x-cache-status', 'x-cache', 'x-proxy-cache', 'x-cache-lookup'];

/** Splits a header list on commas outside quoted strings. */
function members(value: string): string[] {
  return (value.match(/(?:"(?:[^"\\]|\\.)*"|[^,])+/g) ?? []).map((m) => m.trim()).filter(Boolean);
}

/**
 * One vendor word (or the last of a list, which is the cache closest to the client, as Fastly's
 * "MISS, HIT") to a status: "Hit from cloudfront", "TCP_MEM_HIT", "RefreshHit", "EXPIRED", "DYNAMIC" ...
 */
export function statusFromWord(value: string): CacheStatus {
  const word = (members(value).at(-1) ?? '').toUpperCase();
  if (/REFRESH_?HIT|STALE|UPDATING|REVALIDATED/.test(word)) return 'stale';
  if (/HIT/.test(word)) return 'hit';
  if (/MISS|EXPIRED/.test(word)) return 'miss';
  if (/PASS|BYPASS|DYNAMIC|UNCACHEABLE|NOCACHE|NO-CACHE|PRIVATE/.test(word)) return 'bypass';
  return 'unknown';
}

/** RFC 9211: the last member is the cache closest to the client. */
export function statusFromCacheStatus(value: string): CacheStatus {
  const last = members(value).at(-1);
  if (!last) return 'unknown';
  const params = new Map(
    last
      .split(';')
      .slice(1)
      .map((p) => {
        const [k, v] = p.split('=');
        return [k!.trim().toLowerCase(), (v ?? '').trim().replace(/^"|"$/g, '').toLowerCase()] as const;
      }),
  );
  if (params.has('hit')) return Number(params.get('ttl')) < 0 ? 'stale' : 'hit';
  const fwd = params.get('fwd');
  if (fwd === 'stale') return 'stale';
  if (fwd === 'bypass' || fwd === 'method' || fwd === 'request') return 'bypass';
  if (fwd === 'uri-miss' || fwd === 'vary-miss' || fwd === 'miss' || fwd === 'partial') return 'miss';
  return 'unknown';
}

/** The edge cache status of a response; `extra` names vendor headers to read first. */
export function cacheStatus(headers: Record<string, string>, extra: readonly string[] = []): CacheReading {
  for (const name of extra.map((h) => h.toLowerCase())) {
    if (headers[name] !== undefined) return { cache: statusFromWord(headers[name]), cache_source: name };
  }
  if (headers['cache-status'] !== undefined) return { cache: statusFromCacheStatus(headers['cache-status']), cache_source: 'cache-status' };
  for (const name of WORD_HEADERS) if (headers[name] !== undefined) return { cache: statusFromWord(headers[name]), cache_source: name };
  // Varnish: "X-Varnish: <this request>" on a miss, "<this request> <the request that stored it>" on a hit.
  if (headers['x-varnish'] !== undefined) return { cache: headers['x-varnish'].trim().split(/\s+/).length > 1 ? 'hit' : 'miss', cache_source: 'x-varnish' };
  if (Number(headers.age) > 0) return { cache: 'hit', cache_source: 'age' };
  return { cache: 'unknown' };
}

/** Statuses a cache may store without explicit freshness (RFC 9110 §15.1). */
const HEURISTIC = new Set([200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501]);

function directives(value: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of members(value ?? '')) {
    const [k, v] = part.split('=');
    out.set(k!.trim().toLowerCase(), (v ?? '').trim().replace(/^"|"$/g, ''));
  }
  return out;
}

/** Whether a shared cache (a CDN) may keep the response, and for how long. */
export function cacheability(status: number, headers: Record<string, string>): Cacheability {
  const age = Number.parseInt(headers.age ?? '', 10);
  const withAge = <T extends object>(c: T) => (Number.isFinite(age) ? { ...c, age_seconds: age } : c);
  // CDN-Cache-Control (RFC 9213) is meant for CDNs and overrides Cache-Control for them.
  const cc = directives(headers['cdn-cache-control'] ?? headers['cache-control']);
  if (cc.has('no-store') || cc.has('private') || cc.has('no-cache')) return withAge({ cacheable: false, ttl_seconds: 0 });
  const seconds = (v: string | undefined) => (v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined);
  let ttl = seconds(cc.get('s-maxage')) ?? seconds(cc.get('max-age'));
  if (ttl === undefined && headers.expires !== undefined) {
    const expires = Date.parse(headers.expires);
    const date = headers.date !== undefined ? Date.parse(headers.date) : Date.now();
    // An invalid Expires (such as "0") means already expired (RFC 9111 §5.3).
    ttl = Number.isNaN(expires) || Number.isNaN(date) ? 0 : Math.max(0, Math.round((expires - date) / 1000));
  }
  if (ttl !== undefined) return withAge({ cacheable: ttl > 0, ttl_seconds: ttl });
  return withAge({ cacheable: HEURISTIC.has(status) && headers['last-modified'] !== undefined, ttl_seconds: null });
}
