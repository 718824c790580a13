import { describe, expect, it } from 'vitest';
import { httpExpectSchema } from '../../config/checks/http.ts';
import { assess, jsonAt, timestampMs, type Observed } from '../../agent/probe/checks/http/assertions.ts';

const NOW = Date.parse('2026-11-21T12:00:00Z');

function observed(over: Partial<Observed> = {}): Observed {
  const body = Buffer.from(JSON.stringify({ page: { updated_at: '2026-11-21T11:58:00Z' }, components: [{ status: 'operational' }], count: 3 }));
  return {
    status: 200,
    headers: { 'content-type': 'application/json', etag: '"abc"', 'content-encoding': 'gzip' },
    body,
    bodyComplete: true,
    bytes: 120,
    protocol: 'h2',
    tls: {
      version: 'TLSv1.3',
      cipher: 'TLS_AES_128_GCM_SHA256',
      authorized: true,
      cert: { subject: 'x', issuer: 'y', not_after: '2027-01-01T00:00:00.000Z', days_left: 41.5 },
    },
    cache: { cache: 'hit', cache_source: 'x-cache' },
    cacheability: { cacheable: true, ttl_seconds: 300 },
    phases: { dns: 0.01, connect: 0.02, tls: 0.03, ttfb: 0.4, transfer: 0.01, total: 0.47 },
    ...over,
  };
}
const check = (expect: unknown, over: Partial<Observed> = {}) => assess(httpExpectSchema.parse(expect), observed(over), NOW);

describe('http assertions', () => {
  it('accepts status sets and ranges; a wrong status is http_status', () => {
    expect(check({}).failure).toBeUndefined();
    expect(check({ status: [204, '200-201'] }).failure).toBeUndefined();
    expect(check({ status: 404 }, {}).failure).toEqual({ reason: 'http_status', message: 'HTTP 200, expected 404' });
    expect(check({ status: ['200-299'] }, { status: 503 }).assertions[0]).toEqual({ name: 'status', ok: false, expected: ['200-299'], actual: 503 });
  });

  it('checks headers present, absent and matching', () => {
    const r = check({ headers: [{ name: 'ETag' }, { name: 'set-cookie', absent: true }, { name: 'content-type', matches: '^application/json' }] });
    expect(r.failure).toBeUndefined();
    expect(r.assertions.map((a) => a.name)).toEqual(['status', 'header etag present', 'header set-cookie absent', 'header content-type matches']);
    const bad = check({ headers: [{ name: 'x-missing' }, { name: 'etag', absent: true }, { name: 'content-type', matches: '^text/' }] });
    expect(bad.failure).toEqual({ reason: 'assertion', message: 'header x-missing is missing (and 2 more failed assertions)' });
    expect(bad.assertions[3]).toEqual({ name: 'header content-type matches', ok: false, expected: '/^text//', actual: 'application/json' });
  });

  it('matches the body, and says when only its start was kept', () => {
    expect(check({ body: { matches: 'operational', not_matches: 'major_outage' } }).failure).toBeUndefined();
    expect(check({ body: { not_matches: 'operational' } }).failure?.message).toBe('body matches /operational/: "operational"');
    expect(check({ body: { matches: 'nowhere' } }, { bodyComplete: false }).failure?.message).toMatch(
      /^body does not match \/nowhere\/ \(first \d+ bytes only\)$/,
    );
  });

  it('checks JSON values: exists, equals, matches and freshness', () => {
    const ok = check({
      json: [
        { path: 'page.updated_at' },
        { path: '$.components[0].status', equals: 'operational' },
        { path: 'count', equals: 3 },
        { path: 'count', matches: '^[0-9]+$' },
        { path: 'page.updated_at', not_older_than: '5m' },
      ],
    });
    expect(ok.failure).toBeUndefined();
    expect(ok.assertions.slice(1).map((a) => a.name)).toEqual([
      'json page.updated_at exists',
      'json $.components[0].status equals',
      'json count equals',
      'json count matches',
      'json page.updated_at fresh',
    ]);

    const stale = check({ json: [{ path: 'page.updated_at', not_older_than: '1m' }] });
    expect(stale.failure).toEqual({ reason: 'assertion', message: 'json page.updated_at is stale: 120 s old, expected at most 60 s old' });
    expect(check({ json: [{ path: 'components[0].status', equals: 'major_outage' }] }).failure?.message).toBe(
      'json components[0].status is "operational", expected "major_outage"',
    );
    expect(check({ json: [{ path: 'nope.deeper' }] }).failure?.message).toBe('json nope.deeper is missing');
    expect(check({ json: [{ path: 'count' }] }, { body: Buffer.from('<html>') }).failure?.message).toBe('json count: body is not JSON');
    expect(check({ json: [{ path: 'count', not_older_than: '1h' }] }).failure?.message).toMatch(/^json count is stale: \d+ s old/);
  });

  it('checks size, protocol, TLS version, certificate days, encoding, cache, cacheability and TTL', () => {
    const ok = check({
      size: { min: 100, max: 200 },
      protocol: 'h2',
      tls_version: 'TLSv1.3',
      cert_min_days: 30,
      content_encoding: ['br', 'gzip'],
      cache: ['hit', 'stale'],
      cacheable: true,
      ttl: { min: '1m', max: '10m' },
    });
    expect(ok.failure).toBeUndefined();
    expect(ok.assertions.every((a) => a.ok)).toBe(true);

    const failing = (expectation: unknown, over: Partial<Observed> = {}) => check(expectation, over).failure?.message;
    expect(failing({ size: { max: 100 } })).toBe('body is 120 bytes, expected ≤ 100 bytes');
    expect(failing({ protocol: 'http/1.1' })).toBe('protocol h2, expected http/1.1');
    expect(failing({ tls_version: 'TLSv1.3' }, { tls: undefined })).toBe('TLS version none (no TLS), expected TLSv1.3');
    expect(failing({ cert_min_days: 60 })).toBe('certificate expires in 41.5 days, expected at least 60');
    expect(failing({ content_encoding: 'br' })).toBe('content-encoding gzip, expected br');
    expect(failing({ content_encoding: 'identity' }, { headers: {} })).toBeUndefined();
    expect(failing({ cache: 'miss' })).toBe('cache hit (x-cache), expected miss');
    expect(failing({ cacheable: false }, { headers: { 'cache-control': 'max-age=300' } })).toBe('response is cacheable (cache-control: "max-age=300")');
    expect(failing({ ttl: { min: '1h' } })).toBe('ttl 300 s, expected ≥ 3600 s');
    expect(failing({ ttl: { min: '1s' } }, { cacheability: { cacheable: true, ttl_seconds: null } })).toBe('ttl not set, expected ≥ 1 s');
  });

  it('latency thresholds degrade the run instead of failing it', () => {
    const r = check({ latency: { ttfb: '250ms', total: '1s', dns: '100ms' } });
    expect(r.failure).toBeUndefined();
    expect(r.degraded).toBe('ttfb 0.400 s over 0.25 s');
    expect(r.assertions.filter((a) => a.name.startsWith('latency'))).toEqual([
      { name: 'latency dns', ok: true, expected: '≤ 0.1 s', actual: 0.01 },
      { name: 'latency ttfb', ok: false, expected: '≤ 0.25 s', actual: 0.4 },
      { name: 'latency total', ok: true, expected: '≤ 1 s', actual: 0.47 },
    ]);
    // A phase that did not happen (no DNS for an IP address) is not judged.
    expect(check({ latency: { dns: '1ms' } }, { phases: { total: 0.1 } }).assertions).toHaveLength(1);
  });
});

describe('JSON paths and timestamps', () => {
  it('walks keys and indexes', () => {
    const doc = { a: { b: [{ c: 1 }, { c: [5, 6] }] } };
    expect(jsonAt(doc, 'a.b[1].c[1]')).toBe(6);
    expect(jsonAt(doc, '$.a.b[0].c')).toBe(1);
    expect(jsonAt(doc, '$')).toEqual(doc);
    expect(jsonAt(doc, 'a.x.y')).toBeUndefined();
    expect(jsonAt(null, 'a')).toBeUndefined();
  });

  it('reads ISO 8601 and Unix seconds or milliseconds', () => {
    expect(timestampMs('2026-11-21T12:00:00Z')).toBe(NOW);
    expect(timestampMs(NOW / 1000)).toBe(NOW);
    expect(timestampMs(String(NOW))).toBe(NOW);
    expect(timestampMs('yesterday')).toBeNaN();
    expect(timestampMs({})).toBeNaN();
  });
});
