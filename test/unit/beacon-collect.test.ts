/**
 * The collector's beacon routes, in-process on a loopback port: what they accept, what they
 * refuse and why, and that nothing a client sends can mint a new label value.
 */
import { writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../agent/log.ts';
import { startServer, type RunningServer } from '../../agent/server.ts';
import { beaconRoutes, ClientRateLimit, RecentPageViews } from '../../agent/collector/rum/routes.ts';
import type { Beacon } from '../../config/beacon.ts';
import { configSchema } from '../../config/schema.ts';
import { scrape, sum } from '../support/exposition.ts';
import { tempDir } from '../support/processes.ts';
import { promtoolCheckMetrics } from '../support/prometheus.ts';

const SITE = 'https://www.example.com';
const logger = createLogger('silent');
const dir = tempDir();
const script = join(dir, 'beacon.js');
writeFileSync(script, `/* beacon */ ${'x'.repeat(2000)}`);

const config = (rum: Record<string, unknown> = {}) =>
  configSchema.parse({
    vendors: [
      { name: 'acme-cdn', hosts: ['static.example.com'], identify: { header: 'server-timing', match: 'cdn;desc=acme' } },
      { name: 'payco', hosts: ['*.payco.test'] },
    ],
    rum: {
      origins: [SITE],
      page_groups: [{ name: 'checkout', match: '^/checkout' }],
      rate_limit: 10_000,
      regions: { 'eu-west': ['DE', 'FR'] },
      country: { header: 'X-Viewer-Country' },
      ...rum,
    },
  });

let server: RunningServer;
let seq = 0;

function beacon(over: Partial<Beacon> = {}): Beacon {
  return {
    v: 1,
    nav: '0123456789abcdef',
    seq: seq++,
    type: 'navigate',
    group: 'checkout',
    protocol: 'h2',
    phases: { dns: 12, connect: 20, tls: 30, ttfb: 150, download: 10, dom: 300, load: 1200 },
    vitals: { LCP: { value: 2300, vendor: 'acme-cdn' }, INP: { value: 240, vendor: 'payco' }, CLS: { value: 0.12 }, FCP: { value: 900 }, TTFB: { value: 180 } },
    resources: {
      'acme-cdn': {
        count: 3,
        bytes: 5000,
        cacheHits: 1,
        failed: 0,
        noTimingAllowOrigin: 0,
        protocols: { h2: 3 },
        samples: [
          ['script', 'miss', 40],
          ['img', 'hit', 0],
          ['css', 'miss', 35],
        ],
      },
      payco: { count: 1, bytes: 0, cacheHits: 0, failed: 1, noTimingAllowOrigin: 1, protocols: { unknown: 1 }, samples: [['fetch', 'unknown', 800]] },
    },
    lost: 0,
    ...over,
  };
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw request, so tests control every header and byte (fetch would add its own). */
function send(path: string, opts: { method?: string; headers?: Record<string, string>; body?: Buffer | string; chunked?: boolean } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, server.url);
    const body = opts.body === undefined ? undefined : Buffer.from(opts.body);
    const headers = { ...(body && !opts.chunked ? { 'content-length': String(body.length) } : {}), ...opts.headers };
    const req = request(url, { method: opts.method ?? 'POST', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const raw = Buffer.concat(chunks);
        resolve({ status: res.statusCode!, headers: res.headers, body: (res.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString() });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const post = (body: Buffer | string | object, headers: Record<string, string> = {}) =>
  send('/v1/beacon', {
    body: typeof body === 'object' && !Buffer.isBuffer(body) ? JSON.stringify(body) : body,
    headers: { origin: SITE, 'content-type': 'text/plain;charset=UTF-8', ...headers },
  });

beforeAll(async () => {
  server = await startServer({ listen: '127.0.0.1:0', logger, routes: beaconRoutes(config(), logger, { script }) });
});
afterAll(() => server?.close());

describe('POST /v1/beacon', () => {
  it('accepts a beacon as text/plain or JSON, gzipped or not, answering CORS for the site', async () => {
    const plain = await post(beacon());
    expect(plain.status).toBe(204);
    expect(plain.headers['access-control-allow-origin']).toBe(SITE);
    expect((await post(beacon(), { 'content-type': 'application/json' })).status).toBe(204);
    expect((await post(gzipSync(JSON.stringify(beacon())))).status).toBe(204);

    const m = await scrape(server.url);
    expect(sum(m, 'vendorwatch_rum_beacons_total', { result: 'accepted', reason: 'ok' })).toBe(3);
    expect(sum(m, 'vendorwatch_rum_page_views_total', { page_group: 'checkout', type: 'navigate' })).toBe(3);
    expect(sum(m, 'vendorwatch_rum_navigation_seconds_sum', { page_group: 'checkout', phase: 'ttfb' })).toBeCloseTo(0.45);
    expect(sum(m, 'vendorwatch_rum_resources_total', { vendor: 'acme-cdn', protocol: 'h2' })).toBe(9);
    expect(sum(m, 'vendorwatch_rum_resource_cache_hits_total', { vendor: 'acme-cdn' })).toBe(3);
    expect(sum(m, 'vendorwatch_rum_resource_failures_total', { vendor: 'payco' })).toBe(3);
    expect(sum(m, 'vendorwatch_rum_resources_without_timing_allow_origin_total', { vendor: 'payco' })).toBe(3);
    expect(sum(m, 'vendorwatch_rum_resource_seconds_count', { vendor: 'acme-cdn', type: 'img', cache: 'hit' })).toBe(3);
    // Vitals in seconds (CLS unitless), on buckets at the web-vitals thresholds.
    expect(sum(m, 'vendorwatch_rum_web_vital_bucket', { vital: 'LCP', vendor: 'acme-cdn', le: '2.5' })).toBe(3);
    expect(sum(m, 'vendorwatch_rum_web_vital_bucket', { vital: 'INP', vendor: 'payco', le: '0.2' })).toBe(0);
    expect(sum(m, 'vendorwatch_rum_web_vital_bucket', { vital: 'INP', vendor: 'payco', le: '0.25' })).toBe(3);
    expect(sum(m, 'vendorwatch_rum_web_vital_bucket', { vital: 'CLS', vendor: 'none', le: '0.1' })).toBe(0);
    expect(sum(m, 'vendorwatch_rum_web_vital_bucket', { vital: 'CLS', vendor: 'none', le: '0.15' })).toBe(3);
  });

  it('maps unknown vendors, page groups and protocols to "other"', async () => {
    const b = beacon({ group: 'admin', protocol: 'spdy/9' });
    b.resources = { 'evil.example"} 1\n': { count: 2, bytes: 1, cacheHits: 0, failed: 0, noTimingAllowOrigin: 0, protocols: { 'h9-x': 1 }, samples: [] } };
    b.vitals = { LCP: { value: 1000, vendor: 'not-a-vendor' } };
    expect((await post(b)).status).toBe(204);
    const m = await scrape(server.url);
    expect(sum(m, 'vendorwatch_rum_page_views_total', { page_group: 'other' })).toBe(1);
    expect(sum(m, 'vendorwatch_rum_documents_total', { page_group: 'other', protocol: 'other' })).toBe(1);
    expect(sum(m, 'vendorwatch_rum_resources_total', { vendor: 'other', protocol: 'other' })).toBe(1);
    expect(sum(m, 'vendorwatch_rum_resources_total', { vendor: 'other', protocol: 'unknown' })).toBe(1);
    expect(sum(m, 'vendorwatch_rum_web_vital_count', { vital: 'LCP', vendor: 'other', page_group: 'other' })).toBe(1);
  });

  it('counts a page view once, however often it is sent', async () => {
    const b = beacon();
    expect((await post(b)).status).toBe(204);
    const again = await post(b);
    expect(again.status).toBe(409);
    expect(JSON.parse(again.body)).toMatchObject({ reason: 'duplicate' });
  });

  it('answers a preflight for allowed origins only', async () => {
    const ok = await send('/v1/beacon', { method: 'OPTIONS', headers: { origin: SITE, 'access-control-request-method': 'POST' } });
    expect(ok.status).toBe(204);
    expect(ok.headers['access-control-allow-origin']).toBe(SITE);
    expect((await send('/v1/beacon', { method: 'OPTIONS', headers: { origin: 'https://evil.example' } })).status).toBe(403);
  });
});

describe('GET /v1/beacon/config and /beacon.js', () => {
  it('hands pages the vendors, page groups and privacy switches', async () => {
    const res = await send('/v1/beacon/config', { method: 'GET', headers: { origin: SITE } });
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe(SITE);
    expect(res.headers['cache-control']).toContain('max-age');
    expect(JSON.parse(res.body)).toEqual({
      vendors: [
        { name: 'acme-cdn', hosts: ['static.example.com'], identify: { header: 'server-timing', match: 'cdn;desc=acme' } },
        { name: 'payco', hosts: ['*.payco.test'] },
      ],
      pageGroups: [{ name: 'checkout', match: '^/checkout' }],
      sampleRate: 1,
      requireConsent: false,
      respectDoNotTrack: true,
    });
    const other = await send('/v1/beacon/config', { method: 'GET', headers: { origin: 'https://evil.example' } });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('serves the script, gzipped when the browser takes it', async () => {
    const res = await send('/beacon.js', { method: 'GET', headers: { 'accept-encoding': 'gzip, br' } });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toContain('javascript');
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(res.body).toContain('/* beacon */');
  });

  it('says how to build the script when it is missing', async () => {
    const bare = await startServer({ listen: '127.0.0.1:0', logger, routes: beaconRoutes(config(), logger, { script: join(dir, 'missing.js') }) });
    try {
      const res = await fetch(`${bare.url}/beacon.js`);
      expect(res.status).toBe(404);
      expect(await res.text()).toContain('npm run build:beacon');
    } finally {
      await bare.close();
    }
  });
});

describe('hostile and broken beacons', () => {
  const valid = JSON.stringify(beacon());
  const cases: [string, () => Promise<Answer>, number, string][] = [
    ['no Origin', () => post(valid, { origin: '' }), 403, 'origin'],
    ['a foreign Origin', () => post(valid, { origin: 'https://evil.example' }), 403, 'origin'],
    ['a form content type', () => post(valid, { 'content-type': 'application/x-www-form-urlencoded' }), 415, 'content_type'],
    ['no content type', () => send('/v1/beacon', { body: valid, headers: { origin: SITE } }), 415, 'content_type'],
    ['not JSON', () => post('hello'), 400, 'malformed'],
    ['truncated JSON', () => post(valid.slice(0, 40)), 400, 'malformed'],
    ['invalid UTF-8', () => post(Buffer.from([0xff, 0xfe, 0x7b])), 400, 'malformed'],
    ['broken gzip', () => post(Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0]), Buffer.alloc(30, 7)])), 400, 'malformed'],
    ['an array', () => post('[]'), 400, 'invalid'],
    ['null', () => post('null'), 400, 'invalid'],
    ['a future version', () => post({ ...beacon(), v: 2 }), 400, 'invalid'],
    ['a guessable navigation id', () => post({ ...beacon(), nav: 'user@example.com' }), 400, 'invalid'],
    ['a URL smuggled in an extra field', () => post({ ...beacon(), url: 'https://www.example.com/?email=a@b' }), 400, 'invalid'],
    ['an unknown page view type', () => post({ ...beacon(), type: 'hacked' }), 400, 'invalid'],
    ['an unknown phase', () => post({ ...beacon(), phases: { evil: 1 } }), 400, 'invalid'],
    ['a negative phase', () => post({ ...beacon(), phases: { dns: -5 } }), 400, 'invalid'],
    ['a phase of a year', () => post({ ...beacon(), phases: { load: 3.15e10 } }), 400, 'invalid'],
    ['a vital as a string', () => post({ ...beacon(), vitals: { LCP: { value: 'fast' } } }), 400, 'invalid'],
    ['an unknown vital', () => post({ ...beacon(), vitals: { FID: { value: 10 } } }), 400, 'invalid'],
    ['a long vendor label', () => post({ ...beacon(), vitals: { LCP: { value: 10, vendor: 'v'.repeat(64) } } }), 400, 'invalid'],
    ['an unknown resource type', () => post(withResource({ samples: [['evil', 'hit', 1]] })), 400, 'invalid'],
    [
      'more samples than entries',
      () =>
        post(
          withResource({
            count: 1,
            samples: [
              ['img', 'hit', 1],
              ['img', 'hit', 1],
            ],
          }),
        ),
      400,
      'invalid',
    ],
    ['more cache hits than entries', () => post(withResource({ count: 1, cacheHits: 5 })), 400, 'invalid'],
    ['a float count', () => post(withResource({ count: 1.5 })), 400, 'invalid'],
    ['an astronomic count', () => post(withResource({ count: 1e300 })), 400, 'invalid'],
    ['too many protocols', () => post(withResource({ count: 100, protocols: Object.fromEntries([...Array(9)].map((_, i) => [`p${i}`, 1])) })), 400, 'invalid'],
    ['deeply nested JSON', () => post(`${'['.repeat(5000)}${']'.repeat(5000)}`), 400, 'invalid'],
    ['a prototype-polluting key', () => post(`{"__proto__":{"polluted":1},${valid.slice(1)}`), 400, 'invalid'],
    ['a gzip bomb (20 KB that inflates to 20 MB)', () => post(gzipSync(Buffer.alloc(20_000_000, 0x20))), 413, 'too_large'],
  ];

  function withResource(over: Record<string, unknown>): object {
    const b = beacon();
    return { ...b, resources: { 'acme-cdn': { ...b.resources['acme-cdn'], ...over } } };
  }

  it.each(cases)('refuses %s', async (_name, sendIt, status, reason) => {
    const res = await sendIt();
    expect(res.status).toBe(status);
    expect(JSON.parse(res.body)).toMatchObject({ reason });
  });

  it.each([
    ['declared', false],
    ['chunked', true],
  ])('refuses an oversized %s body, cutting the upload short', async (_name, chunked) => {
    const before = sum(await scrape(server.url), 'vendorwatch_rum_beacons_total', { reason: 'too_large' });
    const res = await send('/v1/beacon', { body: Buffer.alloc(1_000_000, 0x20), chunked, headers: { origin: SITE, 'content-type': 'text/plain' } }).catch(
      (err: NodeJS.ErrnoException) => String(err.code),
    );
    // The answer may or may not reach a client still writing when the server hangs up.
    if (typeof res === 'string') expect(res).toMatch(/ECONNRESET|EPIPE/);
    else expect(res.status).toBe(413);
    expect(sum(await scrape(server.url), 'vendorwatch_rum_beacons_total', { reason: 'too_large' })).toBe(before + 1);
  });

  it('survives them all: still up, every rejection counted, no label value a client made up', async () => {
    // Made-up countries in the trusted header go to "other" (and a real one to its region).
    for (const country of ['XX', '"><script>', 'de', 'eu-west', 'A'.repeat(300)]) {
      expect((await post(beacon(), { 'x-viewer-country': country })).status, country).toBe(204);
    }
    expect((await fetch(`${server.url}/healthz`)).ok).toBe(true);
    expect(({} as { polluted?: number }).polluted).toBeUndefined();
    const m = await scrape(server.url);
    for (const [, , , reason] of cases) expect(sum(m, 'vendorwatch_rum_beacons_total', { result: 'rejected', reason }), reason).toBeGreaterThan(0);
    const allowed: Record<string, Set<string>> = {
      vendor: new Set(['acme-cdn', 'payco', 'other', 'none']),
      page_group: new Set(['checkout', 'other']),
      protocol: new Set(['h3', 'h2', 'http/1.1', 'http/1.0', 'unknown', 'other']),
      type: new Set(['navigate', 'reload', 'back_forward', 'prerender', 'bfcache', 'route', 'script', 'css', 'img', 'fetch', 'frame', 'media', 'other']),
      cache: new Set(['hit', 'miss', 'unknown']),
      region: new Set(['eu-west', 'other']),
      vital: new Set(['LCP', 'INP', 'CLS', 'FCP', 'TTFB']),
      phase: new Set(['dns', 'connect', 'tls', 'ttfb', 'download', 'dom', 'load']),
      result: new Set(['accepted', 'rejected']),
      reason: new Set(['ok', 'origin', 'rate_limited', 'content_type', 'too_large', 'malformed', 'invalid', 'duplicate']),
    };
    for (const s of m.filter((s) => s.name.startsWith('vendorwatch_rum_'))) {
      for (const [label, value] of Object.entries(s.labels)) {
        if (label !== 'le') expect(allowed[label], `${s.name}{${label}="${value}"}`).toContain(value);
      }
    }
    expect(promtoolCheckMetrics(await (await fetch(`${server.url}/metrics`)).text())).toMatchObject({ status: 0 });
  });
});

describe('rate limit', () => {
  it('answers 429 past the per-client rate, and a spoofed X-Forwarded-For does not reset it', async () => {
    const limited = await startServer({ listen: '127.0.0.1:0', logger, routes: beaconRoutes(config({ rate_limit: 2 }), logger) });
    try {
      const hit = (xff: string) =>
        fetch(`${limited.url}/v1/beacon`, {
          method: 'POST',
          headers: { origin: SITE, 'content-type': 'text/plain', 'x-forwarded-for': xff },
          body: JSON.stringify(beacon()),
        });
      expect((await hit('198.51.100.1')).status).toBe(204);
      expect((await hit('198.51.100.2')).status).toBe(204);
      const third = await hit('198.51.100.3');
      expect(third.status).toBe(429);
      expect(third.headers.get('retry-after')).toBe('60');
    } finally {
      await limited.close();
    }
  });

  it('tells clients apart behind a trusted proxy, keeps no address, and resets each minute', () => {
    const limit = new ClientRateLimit(2, 3);
    const t = 1_000_000;
    expect([limit.allow('192.0.2.1', t), limit.allow('192.0.2.1', t), limit.allow('192.0.2.1', t)]).toEqual([true, true, false]);
    expect(limit.allow('192.0.2.2', t)).toBe(true);
    expect(JSON.stringify([...(limit as unknown as { counts: Map<string, number> }).counts.keys()])).not.toContain('192.0.2');
    expect(limit.allow('192.0.2.1', t + 60_000)).toBe(true);
    // Past maxClients, newcomers share one bucket: the table cannot grow without bound.
    for (const a of ['192.0.2.10', '192.0.2.11', '192.0.2.12', '192.0.2.13', '192.0.2.14']) limit.allow(a, t + 60_000);
    expect((limit as unknown as { counts: Map<string, number> }).counts.size).toBe(3 + 1);
    expect(limit.allow('192.0.2.15', t + 60_000)).toBe(false);
  });

  it('forgets page views after their time', () => {
    const seen = new RecentPageViews(1000);
    expect(seen.add('a:0', 0)).toBe(true);
    expect(seen.add('a:0', 500)).toBe(false);
    expect(seen.add('a:0', 1500)).toBe(false);
    expect(seen.add('a:0', 3000)).toBe(true);
  });
});
