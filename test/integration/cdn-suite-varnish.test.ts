/**
 * The CDN regression suite end to end against real Varnish: every content-profile assertion
 * passes on a healthy edge and fails, alone and with its own reason, once the origin's headers,
 * the edge's VCL or its TLS offer is changed to break it; child assets are found through the
 * page's stylesheets; and `check --suite --connect-to` compares production with a staging
 * Varnish whose VCL breaks one assertion.
 */
import { createServer, type Server } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort, runCli, tempDir } from '../support/processes.ts';
import { runHttp, type HttpRun } from '../support/http.ts';
import { makeTestPki, type TestPki } from '../support/tls.ts';
import { startTlsTerminator, startVarnish, type TlsTerminator, type Varnish } from '../support/varnish.ts';

interface Route {
  status?: number;
  type: string;
  cacheControl: string;
  body: string;
}

const PAGE = `<!doctype html><html><head><title>Shop</title>
<link rel="stylesheet" href="/static/site.css">
<link rel="modulepreload" href="/static/app.js">
</head><body><img src="/static/logo.png" srcset="/static/logo.png 1x, /static/logo@2x.png 2x" alt=""></body></html>`;
const LONG = 'public, max-age=86400';

/** What the origin serves, by path; a test overrides some of it (`broken`) and the rest stays. */
const ROUTES: Record<string, Route> = {
  '/': { type: 'text/html', cacheControl: 'public, max-age=60', body: PAGE },
  '/static/site.css': { type: 'text/css', cacheControl: LONG, body: '@import "/static/fonts.css";\nbody { background: url(bg.png) }\n' },
  '/static/fonts.css': { type: 'text/css', cacheControl: LONG, body: '@font-face { font-family: Shop; src: url(/static/shop.woff2) format("woff2") }\n' },
  '/static/shop.woff2': { type: 'font/woff2', cacheControl: LONG, body: 'wOF2' },
  '/static/bg.png': { type: 'image/png', cacheControl: LONG, body: 'png' },
  '/static/logo.png': { type: 'image/png', cacheControl: LONG, body: 'png' },
  '/static/logo@2x.png': { type: 'image/png', cacheControl: LONG, body: 'png' },
  '/static/app.js': { type: 'application/javascript', cacheControl: LONG, body: `${'console.log("shop");\n'.repeat(50)}` },
  '/api/cart': { type: 'application/json', cacheControl: 'private, no-store', body: '{"items":[]}' },
};
const NOT_FOUND: Route = { status: 404, type: 'text/plain', cacheControl: 'public, max-age=10', body: 'not found\n' };
const broken = new Map<string, Partial<Route>>();

/** A plain-HTTP origin that gzips text when asked, as origins behind Varnish do. */
async function startOrigin(): Promise<{ port: number; server: Server }> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://origin').pathname;
    const route = { ...(ROUTES[path] ?? NOT_FOUND), ...broken.get(path) };
    const gzip = /^(text|application)\//.test(route.type) && /\bgzip\b/.test(String(req.headers['accept-encoding']));
    const body = gzip ? gzipSync(route.body) : Buffer.from(route.body);
    res.writeHead(route.status ?? 200, {
      'content-type': route.type,
      'cache-control': route.cacheControl,
      vary: 'Accept-Encoding',
      'content-length': body.length,
      ...(gzip ? { 'content-encoding': 'gzip' } : {}),
    });
    res.end(body);
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { port, server };
}

/** The regression suite of one edge configuration, as a vendor would write it. */
const PROFILES = [
  { name: 'images', url: '/static/logo.png', expect: { cacheable: true, content_encoding: 'identity' } },
  {
    name: 'scripts',
    url: '/static/app.js',
    accept_encoding: ['br', 'gzip'],
    expect: { ttl: { min: '1h' }, content_encoding: ['br', 'gzip'], headers: [{ name: 'set-cookie', absent: true }], protocol: 'h2' },
  },
  { name: 'api', url: '/api/cart', expect: { cacheable: false, cache: ['miss', 'bypass'] } },
  { name: 'negative', url: '/no-such-page', expect: { status: [404, 410] } },
];

const failing = (r: HttpRun) => r.assertions.filter((a) => !a.ok).map((a) => a.name);

let origin: { port: number; server: Server };
beforeAll(async () => {
  origin = await startOrigin();
});
afterAll(async () => {
  await new Promise((resolve) => origin?.server.close(resolve));
});

// Generous: each test starts processes (Varnish, the CLI) or loads VCL, on a machine that may be busy.
describe('content profiles through real Varnish (h2 behind TLS)', { timeout: 120_000 }, () => {
  let pki: TestPki;
  let varnish: Varnish;
  let terminator: TlsTerminator;
  let vclChanged = false;
  const check = (fields: Record<string, unknown> = {}) =>
    runHttp({ url: `https://localhost:${terminator.port}/`, tls: { ca_file: pki.caFile }, profiles: PROFILES, assets: true, ...fields });

  beforeAll(async () => {
    pki = makeTestPki();
    varnish = await startVarnish({ port: origin.port }, { http2: true });
    terminator = await startTlsTerminator(varnish.port, pki);
  });
  afterEach(async () => {
    broken.clear();
    terminator.offer(['h2', 'http/1.1']);
    if (vclChanged) await varnish.useVcl('');
    vclChanged = false;
    await varnish.ban();
  });
  afterAll(async () => {
    await terminator?.close();
    await varnish?.stop();
  });

  it('passes every profile on a healthy edge, and finds the assets behind the stylesheets', async () => {
    const result = await check();
    expect(failing(result), result.message).toEqual([]);
    expect(result.details.profiles).toMatchObject({
      scripts: { ok: true, protocol: 'h2', content_encoding: 'gzip', ttl_seconds: 86400 },
      api: { ok: true, cacheable: false, cache: 'miss' },
      negative: { ok: true, status: 404 },
    });
    const base = `https://localhost:${terminator.port}`;
    expect(result.details.assets!.checked.map((a) => [a.source, a.url.replace(base, ''), a.ok])).toEqual([
      ['stylesheet', '/static/site.css', true],
      ['modulepreload', '/static/app.js', true],
      ['image', '/static/logo.png', true],
      ['srcset', '/static/logo@2x.png', true],
      ['css-import', '/static/fonts.css', true],
      ['css-url', '/static/bg.png', true],
      ['css-url', '/static/shop.woff2', true],
    ]);
  });

  // Each case breaks one thing the way a CDN or origin change would, and exactly one assertion fails.
  const cases: { assertion: string; how: string; breakIt: () => void | Promise<void>; runs?: number; reason?: string; message: string }[] = [
    {
      assertion: 'profile images: cacheable',
      how: 'the origin marks images private',
      breakIt: () => void broken.set('/static/logo.png', { cacheControl: 'private, max-age=86400' }),
      message: 'profile images: response is not cacheable (cache-control: "private, max-age=86400")',
    },
    {
      assertion: 'profile scripts: ttl',
      how: 'the origin shortens the scripts max-age to a minute',
      breakIt: () => void broken.set('/static/app.js', { cacheControl: 'public, max-age=60' }),
      message: 'profile scripts: ttl 60 s, expected ≥ 3600 s',
    },
    {
      assertion: 'profile scripts: content encoding',
      how: 'the VCL stores /static/ uncompressed',
      breakIt: async () => {
        vclChanged = true;
        await varnish.useVcl('sub vcl_backend_response { if (bereq.url ~ "^/static/") { set beresp.do_gunzip = true; } }');
      },
      message: 'profile scripts: content-encoding identity, expected br or gzip',
    },
    {
      assertion: 'profile scripts: header set-cookie absent',
      how: 'the VCL sets a cookie on scripts',
      breakIt: async () => {
        vclChanged = true;
        await varnish.useVcl('sub vcl_deliver { if (req.url ~ "^/static/app") { set resp.http.Set-Cookie = "edge=1; Path=/"; } }');
      },
      message: 'profile scripts: header set-cookie is present: "edge=1; Path=/"',
    },
    {
      assertion: 'profile scripts: protocol',
      how: 'the edge stops offering h2',
      breakIt: () => terminator.offer(['http/1.1']),
      message: 'profile scripts: protocol http/1.1, expected h2',
    },
    {
      assertion: 'profile api: cache',
      how: 'the VCL caches the API despite no-store (seen on the second run)',
      breakIt: async () => {
        vclChanged = true;
        await varnish.useVcl('sub vcl_backend_response { if (bereq.url ~ "^/api/") { set beresp.ttl = 1h; return (deliver); } }');
      },
      runs: 2,
      message: 'profile api: cache hit (x-varnish), expected miss or bypass',
    },
    {
      assertion: 'profile api: cacheable',
      how: 'the origin makes the cart public',
      breakIt: () => void broken.set('/api/cart', { cacheControl: 'public, max-age=600' }),
      message: 'profile api: response is cacheable (cache-control: "public, max-age=600")',
    },
    {
      assertion: 'profile negative: status',
      how: 'the origin answers 200 for missing pages (a soft 404)',
      breakIt: () => void broken.set('/no-such-page', { status: 200, cacheControl: 'public, max-age=10' }),
      reason: 'http_status',
      message: 'profile negative: HTTP 200, expected 404 or 410',
    },
  ];

  it.each(cases)('fails $assertion alone when $how', async ({ assertion, breakIt, runs = 1, reason = 'assertion', message }) => {
    await varnish.ban();
    await breakIt();
    let result!: HttpRun;
    for (let i = 0; i < runs; i++) result = await check();
    expect(failing(result)).toEqual([assertion]);
    expect(result).toMatchObject({ ok: false, reason, message });
  });

  it('names the asset a stylesheet references when it fails', async () => {
    broken.set('/static/shop.woff2', NOT_FOUND);
    const result = await check();
    expect(result).toMatchObject({
      ok: false,
      reason: 'http_status',
      message: `asset https://localhost:${terminator.port}/static/shop.woff2: HTTP 404, expected 200-399`,
    });
  });

  it('reports what the bounds cut instead of dropping it silently', async () => {
    const byCount = await check({ profiles: [], assets: { max: 2 } });
    // The page names 4, the stylesheet fetched 2 more (fonts.css, bg.png): 4 of the 6 are over the bound.
    expect(byCount.details.assets).toMatchObject({ found: 6, over_max: 4, checked: [{ source: 'stylesheet' }, { source: 'modulepreload' }] });
    // 120 bytes of HTML: the stylesheet link is read, the rest of the page is not.
    const byBytes = await check({ profiles: [], assets: { max_parse_bytes: 120 } });
    expect(byBytes.details.assets!.checked.map((a) => a.source)).toEqual(['stylesheet']);
    expect(byBytes.details.assets!.unparsed).toEqual([
      { url: `https://localhost:${terminator.port}/`, unparsed_bytes: Buffer.byteLength(PAGE) - PAGE.lastIndexOf('>', 119) - 1 },
      { url: `https://localhost:${terminator.port}/static/site.css` },
    ]);
  });
});

describe('vendorwatch check --suite --connect-to: production against a staging edge', { timeout: 240_000 }, () => {
  let production: Varnish;
  let staging: Varnish;
  let config: string;

  beforeAll(async () => {
    production = await startVarnish({ port: origin.port }, { pop: 'PROD' });
    // The change under test: the staging VCL stores /static/ uncompressed.
    staging = await startVarnish(
      { port: origin.port },
      { pop: 'STAGING', vcl: 'sub vcl_backend_response { if (bereq.url ~ "^/static/") { set beresp.do_gunzip = true; } }' },
    );
    config = join(tempDir(), 'vendorwatch.yaml');
    const profiles = PROFILES.map((p) => (p.name === 'scripts' ? { ...p, expect: { ttl: { min: '1h' }, content_encoding: ['br', 'gzip'] } } : p));
    writeFileSync(
      config,
      `vendors:
  - { name: acme-cdn, kind: cdn, hosts: [localhost] }
  - { name: payco, kind: payment, hosts: [] }
checks:
  - name: shop
    vendor: acme-cdn
    kind: http
    url: http://localhost:${production.port}/
    assets: true
    profiles: ${JSON.stringify(profiles)}
  - { name: payco-api, vendor: payco, kind: http, url: "http://127.0.0.1:9/" }
`,
    );
  });
  afterAll(async () => {
    await staging?.stop();
    await production?.stop();
  });

  it('prints the regression and exits 1', async () => {
    const { code, stdout, stderr } = await runCli(['check', '--suite', 'acme-cdn', '--connect-to', `127.0.0.1:${staging.port}`, '--config', config]);
    expect(code, stderr).toBe(1);
    const row = stdout.split('\n').find((l) => l.includes('profile scripts: content encoding'));
    expect(row).toMatch(/^shop\s+profile scripts: content encoding\s+pass \(gzip\)\s+FAIL \(identity\)\s+REGRESSION$/);
    expect(stdout).toContain(`1 regression, 0 improvements on staging 127.0.0.1:${staging.port}`);
    // Only the vendor's checks run, on both sides.
    expect(stderr).toContain('production shop: OK');
    expect(stderr).toContain('staging shop: FAIL assertion');
    expect(stderr).not.toContain('payco-api');
  });

  it('--json gives the comparison and both runs', async () => {
    const { code, stdout } = await runCli(['check', '--suite', 'acme-cdn', '--connect-to', `127.0.0.1:${staging.port}`, '--json', '--config', config]);
    expect(code).toBe(1);
    const out = JSON.parse(stdout);
    expect(out).toMatchObject({ regressions: 1, improvements: 0, checks: 1 });
    expect(out.differences.filter((d: { change: string }) => d.change === 'regression')).toEqual([
      {
        check: 'shop',
        assertion: 'profile scripts: content encoding',
        production: { ok: true, actual: 'gzip' },
        staging: { ok: false, actual: 'identity' },
        change: 'regression',
      },
    ]);
    expect(out.production[0].details.address).toBe('127.0.0.1');
    expect(out.staging[0].details.profiles.scripts).toMatchObject({ content_encoding: 'identity' });
  });

  it('exits 0 when staging behaves like production', async () => {
    const { code, stdout, stderr } = await runCli([
      'check',
      '--suite',
      'acme-cdn',
      '--connect-to',
      `127.0.0.1:${production.port}`,
      '--warm',
      '--config',
      config,
    ]);
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(
      /^no differences: 0 regressions, 0 improvements on staging 127\.0\.0\.1:\d+ \(\d+ assertions of 1 checks compared with production\)\n$/,
    );
  });

  it('a staging edge that refuses connections is a regression of the run', async () => {
    const closed = await freePort();
    const { code, stdout } = await runCli(['check', '--suite', 'acme-cdn', '--connect-to', `127.0.0.1:${closed}`, '--config', config]);
    expect(code).toBe(1);
    expect(stdout).toMatch(/^shop\s+result\s+ok\s+FAIL connect: .*REGRESSION$/m);
  });

  it('refuses bad usage with exit 2 and one line', async () => {
    const run = async (...args: string[]) => {
      const { code, stderr } = await runCli(['check', ...args, '--config', config]);
      return [code, stderr.trim()];
    };
    expect(await run('--suite', 'acme-cnd', '--connect-to', '127.0.0.1:1')).toEqual([2, 'vendorwatch: unknown vendor "acme-cnd" (did you mean "acme-cdn"?)']);
    expect(await run('--suite', 'acme-cdn')).toEqual([2, 'vendorwatch: --suite needs --connect-to HOST[:PORT], the staging edge to compare with production']);
    expect(await run('--connect-to', '127.0.0.1:1')).toEqual([2, 'vendorwatch: --connect-to goes with --suite VENDOR']);
    expect(await run('--suite', 'acme-cdn', '--connect-to', 'not a host')).toEqual([
      2,
      'vendorwatch: --connect-to "not a host": expected a host, an IP address, or either with :port',
    ]);
    expect(await run('--suite', 'acme-cdn', '--connect-to', '127.0.0.1:1', 'payco-api')).toEqual([2, 'vendorwatch: not a check of acme-cdn: payco-api']);
  });
});
