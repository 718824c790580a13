import { describe, expect, it } from 'vitest';
import { cacheability, cacheStatus, statusFromCacheStatus, statusFromWord } from '../../agent/probe/checks/http/cache.ts';

describe('cache status, normalised across vendors', () => {
  it('reads RFC 9211 Cache-Status from the cache closest to the client', () => {
    expect(statusFromCacheStatus('ExampleCache; hit; ttl=30')).toBe('hit');
    expect(statusFromCacheStatus('ExampleCache; hit; ttl=-5')).toBe('stale');
    expect(statusFromCacheStatus('Origin; fwd=uri-miss; stored')).toBe('miss');
    expect(statusFromCacheStatus('Edge; fwd=vary-miss')).toBe('miss');
    expect(statusFromCacheStatus('Edge; fwd=stale; fwd-status=304')).toBe('stale');
    expect(statusFromCacheStatus('Edge; fwd=bypass')).toBe('bypass');
    expect(statusFromCacheStatus('Edge; fwd=method')).toBe('bypass');
    // Shield hit, then the edge (last) missed.
    expect(statusFromCacheStatus('Shield; hit, "Edge, Inc."; fwd=uri-miss')).toBe('miss');
    expect(statusFromCacheStatus('Edge; detail=whatever')).toBe('unknown');
  });

  it.each([
    ['HIT', 'hit'],
    ['MISS', 'miss'],
    ['MISS, HIT', 'hit'],
    ['HIT, MISS', 'miss'],
    ['Hit from cloudfront', 'hit'],
    ['Miss from cloudfront', 'miss'],
    ['RefreshHit from cloudfront', 'stale'],
    ['Error from cloudfront', 'unknown'],
    ['TCP_MEM_HIT from a23-1-2-3.deploy.akamaitechnologies.com (AkamaiGHost/22.0)', 'hit'],
    ['TCP_REFRESH_HIT', 'stale'],
    ['TCP_MISS', 'miss'],
    ['EXPIRED', 'miss'],
    ['STALE', 'stale'],
    ['UPDATING', 'stale'],
    ['REVALIDATED', 'stale'],
    ['BYPASS', 'bypass'],
    ['DYNAMIC', 'bypass'],
    ['PASS', 'bypass'],
    ['NONE', 'unknown'],
  ])('reads %j as %s', (word, status) => {
    expect(statusFromWord(word)).toBe(status);
  });

  it('trusts configured headers, then Cache-Status, then vendor headers, then X-Varnish, then Age', () => {
    expect(cacheStatus({ 'x-edge-result': 'HIT', 'cache-status': 'E; fwd=miss' }, ['X-Edge-Result'])).toEqual({ cache: 'hit', cache_source: 'x-edge-result' });
    expect(cacheStatus({ 'cache-status': 'E; fwd=miss', 'x-cache': 'HIT' })).toEqual({ cache: 'miss', cache_source: 'cache-status' });
    expect(cacheStatus({ 'cf-cache-status': 'HIT', 'x-cache': 'MISS' })).toEqual({ cache: 'hit', cache_source: 'cf-cache-status' });
    expect(cacheStatus({ 'x-varnish': '32770' })).toEqual({ cache: 'miss', cache_source: 'x-varnish' });
    expect(cacheStatus({ 'x-varnish': '32770 3', age: '0' })).toEqual({ cache: 'hit', cache_source: 'x-varnish' });
    expect(cacheStatus({ age: '12' })).toEqual({ cache: 'hit', cache_source: 'age' });
    expect(cacheStatus({ age: '0' })).toEqual({ cache: 'unknown' });
    expect(cacheStatus({})).toEqual({ cache: 'unknown' });
  });
});

describe('cacheability for a shared cache', () => {
  const date = 'Sat, 21 Nov 2026 00:00:00 GMT';

  it('is off for no-store, private and no-cache', () => {
    for (const cc of ['no-store', 'private, max-age=60', 'no-cache', 'public, no-store, max-age=600']) {
      expect(cacheability(200, { 'cache-control': cc })).toEqual({ cacheable: false, ttl_seconds: 0 });
    }
  });

  it('takes s-maxage over max-age, and CDN-Cache-Control over Cache-Control', () => {
    expect(cacheability(200, { 'cache-control': 'public, max-age=60, s-maxage=3600' })).toEqual({ cacheable: true, ttl_seconds: 3600 });
    expect(cacheability(200, { 'cache-control': 'max-age=60' })).toEqual({ cacheable: true, ttl_seconds: 60 });
    expect(cacheability(200, { 'cache-control': 'max-age=0' })).toEqual({ cacheable: false, ttl_seconds: 0 });
    expect(cacheability(200, { 'cache-control': 'no-store', 'cdn-cache-control': 'max-age=600' })).toEqual({ cacheable: true, ttl_seconds: 600 });
  });

  it('falls back to Expires minus Date; an invalid Expires is already expired', () => {
    expect(cacheability(200, { date, expires: 'Sat, 21 Nov 2026 01:00:00 GMT' })).toEqual({ cacheable: true, ttl_seconds: 3600 });
    expect(cacheability(200, { date, expires: '0' })).toEqual({ cacheable: false, ttl_seconds: 0 });
    expect(cacheability(200, { date, expires: 'Fri, 20 Nov 2026 00:00:00 GMT' })).toEqual({ cacheable: false, ttl_seconds: 0 });
  });

  it('without explicit freshness, is heuristically cacheable only with Last-Modified and a cacheable status', () => {
    expect(cacheability(200, { 'last-modified': date })).toEqual({ cacheable: true, ttl_seconds: null });
    expect(cacheability(404, { 'last-modified': date })).toEqual({ cacheable: true, ttl_seconds: null });
    expect(cacheability(500, { 'last-modified': date })).toEqual({ cacheable: false, ttl_seconds: null });
    expect(cacheability(200, { etag: '"x"' })).toEqual({ cacheable: false, ttl_seconds: null });
  });

  it('reports Age', () => {
    expect(cacheability(200, { 'cache-control': 'max-age=60', age: '17' })).toEqual({ cacheable: true, ttl_seconds: 60, age_seconds: 17 });
  });
});
