import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCdnOrigin, type CdnOrigin } from '../../lab/cdn-origin.ts';
import { checkResultSchema } from '../../config/result.ts';
import { runHttp } from '../support/http.ts';
import { runCli, tempDir } from '../support/processes.ts';
import { startVarnish, type Varnish } from '../support/varnish.ts';

let origin: CdnOrigin;
let varnish: Varnish;
/** A URL on the edge, by name (so the check resolves it and reports a dns phase). */
const edge = (path: string) => `http://localhost:${varnish.port}${path}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  origin = await startCdnOrigin({ name: 'origin-1' });
  varnish = await startVarnish({ port: origin.port }, { pop: 'AMS1' });
});

afterAll(async () => {
  await varnish?.stop();
  await origin?.close();
});

describe('http checks against a real Varnish edge', () => {
  it('sees a miss, then a hit, with Age growing', async () => {
    const first = await runHttp({ url: edge('/static/app.js') });
    expect(first).toMatchObject({ ok: true, details: { status: 200, cache: 'miss', cache_source: 'x-varnish', cacheable: true, ttl_seconds: 300 } });
    expect(Object.keys(first.phases).sort()).toEqual(['connect', 'dns', 'total', 'transfer', 'ttfb']);

    const second = await runHttp({ url: edge('/static/app.js') });
    expect(second.details).toMatchObject({ cache: 'hit', cache_source: 'x-varnish' });
    await sleep(1100);
    const third = await runHttp({ url: edge('/static/app.js') });
    expect(third.details.cache).toBe('hit');
    expect(third.details.age_seconds as number).toBeGreaterThan(second.details.age_seconds as number);
  });

  it('busts the cache: every busted request misses and reaches the origin', async () => {
    await runHttp({ url: edge('/static/style.css') });
    const before = origin.requests.length;
    for (let i = 0; i < 2; i++) {
      const busted = await runHttp({ url: edge('/static/style.css'), bust: true, expect: { cache: 'miss' } });
      expect(busted).toMatchObject({ ok: true, details: { cache: 'miss' } });
      expect(busted.details.url).toMatch(/[?&]vwbust=[0-9a-f-]{36}$/);
    }
    expect(origin.requests.slice(before).filter((p) => p.startsWith('/static/style.css?vwbust='))).toHaveLength(2);
  });

  it('passes and fails cache assertions as it should', async () => {
    await runHttp({ url: edge('/static/logo.png') });
    const hit = await runHttp({ url: edge('/static/logo.png'), expect: { cache: ['hit', 'stale'], cacheable: true, ttl: { min: '1h', max: '2d' } } });
    expect(hit.ok).toBe(true);
    expect(hit.assertions.map((a) => [a.name, a.ok])).toEqual([
      ['status', true],
      ['cache', true],
      ['cacheable', true],
      ['ttl', true],
    ]);

    const wantMiss = await runHttp({ url: edge('/static/logo.png'), expect: { cache: 'miss' } });
    expect(wantMiss).toMatchObject({ ok: false, reason: 'assertion', message: 'cache hit (x-varnish), expected miss' });
    expect(wantMiss.assertions).toContainEqual({ name: 'cache', ok: false, expected: ['miss'], actual: 'hit' });

    // Varnish never caches a no-store response: it misses every time.
    for (let i = 0; i < 2; i++) {
      const uncacheable = await runHttp({ url: edge('/uncacheable'), expect: { cache: 'miss', cacheable: false } });
      expect(uncacheable).toMatchObject({ ok: true, details: { cache: 'miss', cacheable: false, ttl_seconds: 0 } });
    }
    const wantCacheable = await runHttp({ url: edge('/uncacheable'), expect: { cacheable: true } });
    expect(wantCacheable).toMatchObject({ ok: false, reason: 'assertion' });
    expect(wantCacheable.message).toContain('response is not cacheable (cache-control: "private, no-store")');
  });

  it('names the edge: Varnish, and the POP from a configured header or the vendor registry', async () => {
    const plain = await runHttp({ url: edge('/static/app.js'), pop_headers: [{ header: 'x-edge-pop' }] });
    expect(plain.details.edge).toEqual({ cdn: 'varnish', pop: 'AMS1' });
    const registered = await runHttp({ url: edge('/static/app.js'), pop_headers: [{ header: 'X-Edge-Pop', pattern: '^([A-Z]+)' }] }, [
      { name: 'acme-cdn', kind: 'cdn', hosts: [], identify: { header: 'via', match: 'varnish' } },
    ]);
    expect(registered.details.edge).toEqual({ cdn: 'acme-cdn', pop: 'AMS' });
  });

  it('asks for brotli and sees the edge answer gzip or nothing', async () => {
    const brOnly = await runHttp({ url: edge('/static/app.js'), accept_encoding: 'br', expect: { content_encoding: 'br' } });
    expect(brOnly).toMatchObject({ ok: false, reason: 'assertion', message: 'content-encoding identity, expected br' });
    const gzip = await runHttp({
      url: edge('/static/app.js'),
      accept_encoding: ['br', 'gzip'],
      expect: { content_encoding: 'gzip', body: { matches: 'vendorwatch lab asset' }, size: { max: 1000 } },
    });
    expect(gzip).toMatchObject({ ok: true, details: { content_encoding: 'gzip' } });
  });

  it('fetches child assets through the edge and names the one that fails', async () => {
    const page = await runHttp({ url: edge('/'), assets: true });
    expect(page.ok).toBe(true);
    expect(page.details.assets).toMatchObject({ found: 3, other_hosts: 0, checked: [{ ok: true }, { ok: true }, { ok: true }] });

    const broken = await runHttp({ url: edge('/broken.html'), assets: true });
    expect(broken).toMatchObject({ ok: false, reason: 'http_status', message: `asset ${edge('/static/missing.js')}: HTTP 404, expected 200-399` });
    // The page itself was fine: its phases and status are reported.
    expect(broken.details.status).toBe(200);
    expect(broken.phases.ttfb).toBeDefined();
  });

  it('targets the edge by address while sending the site name', async () => {
    // www.lab.test resolves nowhere: only connect_to gets the request to the edge.
    const site = `http://www.lab.test:${varnish.port}/static/app.js`;
    const targeted = await runHttp({ url: site, connect_to: '127.0.0.1', expect: { cache: ['hit', 'miss'] } });
    expect(targeted).toMatchObject({ ok: true, details: { address: '127.0.0.1', status: 200 } });
    expect(targeted.phases.dns).toBeUndefined();
  });

  it('vendorwatch check --json reports phases, cache status, busting and child-asset failures', async () => {
    await runHttp({ url: edge('/static/app.js') });
    const dir = tempDir();
    const config = join(dir, 'vendorwatch.yaml');
    writeFileSync(
      config,
      `vendors:
  - { name: acme-cdn, kind: cdn, hosts: ["localhost"], identify: { header: via, match: varnish } }
checks:
  - name: edge-js
    vendor: acme-cdn
    kind: http
    url: ${edge('/static/app.js')}
    pop_headers: [{ header: x-edge-pop }]
    expect: { cache: hit, cacheable: true }
  - name: edge-js-busted
    vendor: acme-cdn
    kind: http
    url: ${edge('/static/app.js')}
    bust: true
    expect: { cache: miss }
  - name: shop-page
    vendor: acme-cdn
    kind: http
    url: ${edge('/broken.html')}
    assets: { max: 5 }
`,
    );
    const { code, stdout, stderr } = await runCli(['check', '--json', '--config', config]);
    expect(code, stderr).toBe(1);
    const results = Object.fromEntries(
      stdout
        .trim()
        .split('\n')
        .map((line) => checkResultSchema.parse(JSON.parse(line)))
        .map((r) => [r.check, r]),
    );
    expect(results['edge-js']).toMatchObject({ ok: true, details: { cache: 'hit', edge: { cdn: 'acme-cdn', pop: 'AMS1' } } });
    expect(Object.keys(results['edge-js']!.phases).sort()).toEqual(['connect', 'dns', 'total', 'transfer', 'ttfb']);
    expect(results['edge-js-busted']).toMatchObject({ ok: true, details: { cache: 'miss' } });
    expect(results['shop-page']).toMatchObject({ ok: false, reason: 'http_status', message: expect.stringContaining('missing.js: HTTP 404') });
  });

  // Last: it stops the origin.
  it('pair: when the origin dies, says the origin path broke while the edge still serves', async () => {
    await runHttp({ url: edge('/static/logo.png') });
    const healthy = await runHttp({ url: edge('/static/logo.png'), pair: true, expect: { cache: 'hit' } });
    expect(healthy).toMatchObject({ ok: true, details: { cache: 'hit', busted: { ok: true, cache: 'miss' } } });

    await origin.close();
    const broken = await runHttp({ url: edge('/static/logo.png'), pair: true, expect: { cache: 'hit' } });
    expect(broken).toMatchObject({
      ok: false,
      reason: 'http_status',
      message: 'origin path broken (the edge still serves from cache): busted: HTTP 503, expected 200-399',
      details: { cache: 'hit', busted: { ok: false, reason: 'http_status', status: 503 } },
    });
  });
});
