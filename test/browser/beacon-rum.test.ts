/**
 * A page with the one-line beacon tag, in real Chromium, reporting to a `vendorwatch collector`
 * process. A tap between them keeps every request as sent, to show what leaves the page.
 */
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBeacon } from '../../beacon/build.ts';
import { startLabSite, type LabSite } from '../../lab/site.ts';
import { launchChromium } from '../support/chromium.ts';
import { scrape, sum, type Sample } from '../support/exposition.ts';
import { freePort, startCli, tempDir, waitFor, type Running } from '../support/processes.ts';
import { promtoolCheckMetrics } from '../support/prometheus.ts';

interface Tapped {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  raw: Buffer;
  /** The body as the collector reads it (gunzipped when gzipped). */
  text: string;
}

/** Forwards to the collector, keeping each request. */
async function startTap(target: string, port: number): Promise<{ server: Server; seen: Tapped[] }> {
  const seen: Tapped[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    seen.push({ method: req.method!, url: req.url!, headers: req.headers, raw, text: (raw[0] === 0x1f ? gunzipSync(raw) : raw).toString() });
    const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !['host', 'connection', 'content-length'].includes(k))) as Record<
      string,
      string
    >;
    const answer = await fetch(`${target}${req.url}`, { method: req.method, headers, body: raw.length ? raw : undefined });
    const body = Buffer.from(await answer.arrayBuffer());
    const out = Object.fromEntries([...answer.headers].filter(([k]) => !['content-encoding', 'content-length', 'transfer-encoding', 'connection'].includes(k)));
    res.writeHead(answer.status, out).end(body);
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return { server, seen };
}

let site: LabSite;
let collector: Running;
let collectorUrl: string;
let tap: { server: Server; seen: Tapped[] };
let browser: Browser;
let context: BrowserContext;
let page: Page;

const beacons = () => tap.seen.filter((t) => t.method === 'POST' && t.url === '/v1/beacon').map((t) => ({ ...t, beacon: JSON.parse(t.text) }));
const metrics = () => scrape(collectorUrl);
function until(what: string, check: (m: Sample[]) => boolean): Promise<Sample[]> {
  return waitFor(
    async () => {
      const m = await metrics();
      return check(m) ? m : undefined;
    },
    { what },
  );
}

/**
 * A page left before the beacon has its config sends nothing (by design: it cannot name vendors
 * or page groups); wait until the config has arrived and been taken in.
 */
async function configured(p: Page): Promise<void> {
  await p.waitForFunction(() => performance.getEntriesByType('resource').some((e) => e.name.endsWith('/v1/beacon/config')));
  await p.evaluate(() => new Promise((r) => setTimeout(r)));
}

beforeAll(async () => {
  await buildBeacon();
  const [tapPort, collectorPort] = [await freePort(), await freePort()];
  site = await startLabSite({ collector: `http://127.0.0.1:${tapPort}` });
  const config = join(tempDir(), 'vendorwatch.yaml');
  writeFileSync(config, JSON.stringify({ vendors: site.vendors, rum: { origins: [site.url], page_groups: site.pageGroups, rate_limit: 1000 } }));
  collector = startCli(['collector', '--config', config, '--listen', `127.0.0.1:${collectorPort}`]);
  collectorUrl = `http://127.0.0.1:${collectorPort}`;
  await waitFor(async () => (await fetch(`${collectorUrl}/healthz`)).ok, { what: `collector up\n${collector.output()}` });
  tap = await startTap(collectorUrl, tapPort);
  browser = await launchChromium({ args: [`--host-resolver-rules=${site.hostResolverRules}`], bfcache: true });
  context = await browser.newContext();
  page = await context.newPage();
});

afterAll(async () => {
  await browser?.close();
  await collector?.stop();
  await new Promise((r) => tap?.server.close(r));
  await site?.close();
});

describe('the beacon in Chromium', () => {
  it('reports a page load: navigation phases, resources per vendor, failures and vitals with their vendors', async () => {
    await page.goto(`${site.url}/product/42?email=someone%40example.com&t=SECRET#SECRET`);
    await configured(page);
    await page.waitForFunction(() => (window as { widgetFailed?: boolean }).widgetFailed && (window as { vendorC?: boolean }).vendorC);
    await page.mouse.click(5, 5); // vendor-c's click handler blocks for 300 ms: a slow interaction
    // web-vitals takes an interaction once its Event Timing entry is out and the page is idle (a
    // loaded machine makes both late): wait for the entry, then for the idle callbacks after it.
    await page.evaluate(
      () =>
        new Promise<void>((resolve) => {
          new PerformanceObserver((list, observer) => {
            if (!list.getEntries().some((e) => (e as PerformanceEventTiming).interactionId && e.duration >= 250)) return;
            observer.disconnect();
            requestIdleCallback(() => requestIdleCallback(() => resolve()));
          }).observe({ type: 'event', buffered: true, durationThreshold: 16 } as PerformanceObserverInit);
        }),
    );
    await page.goto(`${site.url}/other`);

    const m = await until('the product page view', (m) => sum(m, 'vendorwatch_rum_page_views_total', { page_group: 'product', type: 'navigate' }) === 1);
    expect(sum(m, 'vendorwatch_rum_beacons_total', { result: 'accepted' })).toBeGreaterThanOrEqual(1);
    expect(sum(m, 'vendorwatch_rum_documents_total', { page_group: 'product', protocol: 'http/1.1' })).toBe(1);
    for (const phase of ['dns', 'connect', 'ttfb', 'download', 'dom', 'load']) {
      expect(sum(m, 'vendorwatch_rum_navigation_seconds_count', { page_group: 'product', phase }), phase).toBe(1);
    }
    // By host, by Server-Timing (vendor-b behind a neutral name), and "other" for an unknown host.
    expect(sum(m, 'vendorwatch_rum_resources_total', { vendor: 'vendor-a' })).toBe(2);
    expect(sum(m, 'vendorwatch_rum_resources_total', { vendor: 'vendor-b' })).toBe(1);
    expect(sum(m, 'vendorwatch_rum_resources_total', { vendor: 'vendor-c', protocol: 'unknown' })).toBe(1);
    expect(sum(m, 'vendorwatch_rum_resources_total', { vendor: 'other' })).toBeGreaterThanOrEqual(1);
    expect(sum(m, 'vendorwatch_rum_resource_seconds_count', { vendor: 'vendor-a', type: 'img', cache: 'miss' })).toBe(1);
    expect(sum(m, 'vendorwatch_rum_resource_seconds_count', { vendor: 'vendor-b', type: 'css' })).toBe(1);
    expect(sum(m, 'vendorwatch_rum_resource_bytes_total', { vendor: 'vendor-a' })).toBeGreaterThan(0);
    // vendor-c's tag sends no Timing-Allow-Origin: its size and timings are hidden.
    expect(sum(m, 'vendorwatch_rum_resources_without_timing_allow_origin_total', { vendor: 'vendor-c' })).toBe(1);
    expect(sum(m, 'vendorwatch_rum_resource_bytes_total', { vendor: 'vendor-c' })).toBe(0);
    // The slow tag (answers after 400 ms) is not in a fast bucket.
    expect(sum(m, 'vendorwatch_rum_resource_seconds_bucket', { vendor: 'vendor-c', le: '0.3' })).toBe(0);
    // vendor-d: the API's 503 (seen in Resource Timing) and the widget's 500 (seen as an error event).
    expect(sum(m, 'vendorwatch_rum_resource_failures_total', { vendor: 'vendor-d' })).toBe(2);
    expect(sum(m, 'vendorwatch_rum_resource_failures_total', { vendor: 'vendor-a' })).toBe(0);
    // LCP is vendor-a's hero image; the slow interaction is vendor-c's script.
    expect(sum(m, 'vendorwatch_rum_web_vital_count', { vital: 'LCP', page_group: 'product', vendor: 'vendor-a' })).toBe(1);
    expect(sum(m, 'vendorwatch_rum_web_vital_count', { vital: 'INP', page_group: 'product', vendor: 'vendor-c' })).toBe(1);
    expect(sum(m, 'vendorwatch_rum_web_vital_bucket', { vital: 'INP', page_group: 'product', le: '0.25' })).toBe(0);
    for (const vital of ['FCP', 'TTFB', 'CLS']) {
      expect(sum(m, 'vendorwatch_rum_web_vital_count', { vital, page_group: 'product', vendor: 'none' }), vital).toBe(1);
    }
  });

  it('counts a bfcache restore and a reload as page views, the reload served from cache', async () => {
    await page.goBack({ waitUntil: 'commit' }); // restored from the back/forward cache: no load event
    await page.waitForFunction(() => location.pathname === '/product/42');
    await page.reload();
    await configured(page);
    await page.goto(`${site.url}/other`);

    const m = await until('the reload', (m) => sum(m, 'vendorwatch_rum_page_views_total', { page_group: 'product', type: 'reload' }) === 1);
    expect(sum(m, 'vendorwatch_rum_page_views_total', { page_group: 'product', type: 'bfcache' })).toBe(1);
    // vendor-a's script and image, vendor-b's stylesheet: fresh in the cache, nothing transferred.
    expect(sum(m, 'vendorwatch_rum_resource_cache_hits_total', { vendor: 'vendor-a' })).toBe(2);
    expect(sum(m, 'vendorwatch_rum_resource_cache_hits_total', { vendor: 'vendor-b' })).toBe(1);
    expect(sum(m, 'vendorwatch_rum_resource_seconds_count', { vendor: 'vendor-a', cache: 'hit' })).toBe(2);
    // The restore is the same document: same navigation id, next page view number.
    const product = beacons().filter((b) => b.beacon.group === 'product');
    const restore = product.find((b) => b.beacon.type === 'bfcache')!;
    expect(restore.beacon.nav).toBe(product.find((b) => b.beacon.type === 'navigate')!.beacon.nav);
    expect(restore.beacon.seq).toBe(1);
    expect(restore.beacon.phases).toBeUndefined();
  });

  it('makes an SPA route change its own page view under the same navigation id', async () => {
    await page.goto(`${site.url}/spa/`);
    await page.click('#cart');
    await page.waitForFunction(() => document.querySelector('main')?.textContent?.includes('Cart'));
    // The shop view ended with the route change; it is sent after a grace for late vitals.
    await waitFor(() => beacons().some((b) => b.beacon.group === 'shop'), { what: 'the shop beacon' });
    await page.goto(`${site.url}/other`);

    const m = await until('the cart route', (m) => sum(m, 'vendorwatch_rum_page_views_total', { page_group: 'cart', type: 'route' }) === 1);
    expect(sum(m, 'vendorwatch_rum_page_views_total', { page_group: 'shop', type: 'navigate' })).toBe(1);
    expect(sum(m, 'vendorwatch_rum_resource_seconds_count', { vendor: 'vendor-a', type: 'fetch' })).toBe(1);
    const shop = beacons().find((b) => b.beacon.group === 'shop')!;
    const cart = beacons().find((b) => b.beacon.group === 'cart')!;
    expect(cart.beacon).toMatchObject({ nav: shop.beacon.nav, seq: 1, type: 'route' });
    expect(cart.beacon.phases).toBeUndefined();
    expect(Object.keys(cart.beacon.resources)).toEqual(['vendor-a']);
    // Sent while the page was still alive, so compressed; text/plain, so no preflight was needed.
    expect([...shop.raw.subarray(0, 2)]).toEqual([0x1f, 0x8b]);
    expect(shop.headers['content-type']).toBe('text/plain');
    expect(tap.seen.some((t) => t.method === 'OPTIONS')).toBe(false);
  });

  it('never lets a URL, query string, host name or identifier leave the page', async () => {
    expect(beacons().length).toBeGreaterThanOrEqual(6);
    for (const t of tap.seen) {
      expect(t.url).not.toContain('?');
      const everything = `${t.url} ${JSON.stringify(t.headers)} ${t.text}`;
      for (const secret of ['SECRET', 'someone', 'example.com', '/product', '/spa', 'vendor-a.test', 'neutral.test', 'unknown.test', 'cookie']) {
        expect(everything, `${t.method} ${t.url}`).not.toContain(secret);
      }
    }
    for (const b of beacons()) expect(b.headers.referer, 'beacons go without a Referer').toBeUndefined();
    // No cookie and no storage: nothing ties two page loads together.
    expect(await context.cookies()).toEqual([]);
    expect(await page.evaluate(() => localStorage.length + sessionStorage.length)).toBe(0);
  });

  it('keeps every label bounded and the exposition valid', async () => {
    const m = (await metrics()).filter((s) => s.name.startsWith('vendorwatch_rum_'));
    const vendors = new Set(['vendor-a', 'vendor-b', 'vendor-c', 'vendor-d', 'other', 'none']);
    const groups = new Set(['product', 'shop', 'cart', 'other']);
    expect(m.some((s) => s.labels.vendor) && m.some((s) => s.labels.page_group), 'RUM samples with vendor and page_group labels').toBe(true);
    for (const s of m) {
      if (s.labels.vendor) expect(vendors).toContain(s.labels.vendor);
      if (s.labels.page_group) expect(groups).toContain(s.labels.page_group);
    }
    const text = await (await fetch(`${collectorUrl}/metrics`)).text();
    expect(promtoolCheckMetrics(text)).toMatchObject({ status: 0 });
  });
});
