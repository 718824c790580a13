/**
 * What the beacon sends per page view, in real Chromium: a page carrying the beacon tag loads N
 * resources spread over four vendors and the site itself, then ends the way page views end (the
 * tab hidden, or the page left), and the beacon's requests are read off the wire by a tap in front
 * of a real `vendorwatch collector`, which must accept them.
 *
 *   www.bench.test         the site (first party: in no vendor's hosts, so "other")
 *   static.cdn-a.test      cdn-a: images and scripts, Timing-Allow-Origin
 *   assets.neutral.test    a neutral name served by cdn-b (Server-Timing cdn;desc=cdn-b)
 *   tags.analytics-c.test  analytics-c: a tag and its pixels, no Timing-Allow-Origin
 *   api.api-d.test         api-d: fetch() calls, CORS and Timing-Allow-Origin
 *
 * Every host is one server on one loopback port, told apart by the Host header; Chromium reaches
 * them through --host-resolver-rules.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Browser } from 'playwright-core';
import type { Beacon } from '../config/beacon.ts';
import { waitFor } from '../test/support/processes.ts';

export const VENDORS = [
  { name: 'cdn-a', kind: 'cdn', hosts: ['static.cdn-a.test'] },
  { name: 'cdn-b', kind: 'cdn', hosts: [], identify: { header: 'server-timing', match: 'cdn;desc=cdn-b' } },
  { name: 'analytics-c', kind: 'analytics', hosts: ['*.analytics-c.test'] },
  { name: 'api-d', kind: 'api', hosts: ['api.api-d.test'] },
];
export const PAGE_GROUPS = [{ name: 'catalog', match: '^/catalog/' }];
export const HOST_RESOLVER_RULES = 'MAP *.test 127.0.0.1';

type Kind = 'img' | 'script' | 'css' | 'fetch';
const SITE = 'www.bench.test';
const TAO = { 'timing-allow-origin': '*' };
/** Host and headers per source; the site's own resources are same-origin, so their timings show. */
const sources = {
  site: { host: SITE, headers: {} },
  'cdn-a': { host: 'static.cdn-a.test', headers: TAO },
  'cdn-b': { host: 'assets.neutral.test', headers: { ...TAO, 'server-timing': 'cdn;desc=cdn-b, edge;dur=1' } },
  'analytics-c': { host: 'tags.analytics-c.test', headers: {} },
  'api-d': { host: 'api.api-d.test', headers: { ...TAO, 'access-control-allow-origin': '*' } },
} as const;
type Source = keyof typeof sources;

/**
 * Twenty resources in the order they repeat: cdn-a 8 (6 images, 2 scripts), the site 4, cdn-b 4,
 * analytics-c 2, api-d 2. Any N takes the first N, so even 10 resources touch every source.
 */
const MIX: [Source, Kind][] = [
  ['cdn-a', 'img'],
  ['site', 'img'],
  ['cdn-b', 'img'],
  ['cdn-a', 'img'],
  ['api-d', 'fetch'],
  ['cdn-a', 'script'],
  ['analytics-c', 'script'],
  ['site', 'script'],
  ['cdn-a', 'img'],
  ['cdn-b', 'css'],
  ['cdn-a', 'img'],
  ['site', 'css'],
  ['cdn-b', 'img'],
  ['cdn-a', 'img'],
  ['analytics-c', 'img'],
  ['api-d', 'fetch'],
  ['cdn-a', 'script'],
  ['site', 'img'],
  ['cdn-b', 'img'],
  ['cdn-a', 'img'],
];
export const SOURCES_DESCRIPTION =
  'per 20 resources: cdn-a 8 (6 images, 2 async scripts), the site itself 4 (2 images, a script, a stylesheet), cdn-b 4 (3 images, a stylesheet), analytics-c 2 (a script, a pixel), api-d 2 (fetch)';

const bodies: Record<Kind, [string, string]> = {
  img: ['image/svg+xml', '<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>'],
  script: ['text/javascript', 'void 0;'],
  css: ['text/css', '.r{}'],
  fetch: ['application/json', '{"ok":true}'],
};
const extension: Record<Kind, string> = { img: 'svg', script: 'js', css: 'css', fetch: 'json' };

export interface BenchSite {
  url: string;
  close(): Promise<void>;
}

const listen = async (server: Server): Promise<number> => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
};
const close = (server: Server) =>
  new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });

/** The site and its vendors. `collector` is where beacon.js comes from and reports to. */
export async function startBenchSite(opts: { collector: string }): Promise<BenchSite> {
  let port = 0;
  const url = (source: Source, path: string) => `http://${sources[source].host}:${port}${path}`;
  const page = (n: number) => {
    const elements: string[] = [];
    const fetches: string[] = [];
    for (let i = 0; i < n; i++) {
      const [source, kind] = MIX[i % MIX.length]!;
      const u = url(source, `/r/${i}.${extension[kind]}`);
      if (kind === 'img') elements.push(`<img src="${u}" width="1" height="1" alt="">`);
      if (kind === 'script') elements.push(`<script src="${u}" async></script>`);
      if (kind === 'css') elements.push(`<link rel="stylesheet" href="${u}">`);
      if (kind === 'fetch') fetches.push(u);
    }
    const tag = `<script src="${opts.collector}/beacon.js" data-collector="${opts.collector}" async></script>`;
    const fetching = `<script>Promise.all(${JSON.stringify(fetches)}.map((u) => fetch(u).then((r) => r.text()))).finally(() => (window.fetched = true));</script>`;
    return `<!doctype html><html><head><meta charset="utf-8"><title>${n} resources</title><link rel="icon" href="data:,">${tag}</head><body><h1>Catalog</h1>${elements.join('\n')}${fetching}</body></html>`;
  };
  const server = createServer((req, res) => {
    const host = (req.headers.host ?? '').replace(/:\d+$/, '');
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const catalog = /^\/catalog\/(\d+)$/.exec(path);
    if (host === SITE && catalog) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page(Number(catalog[1])));
      return;
    }
    const source = (Object.keys(sources) as Source[]).find((s) => sources[s].host === host);
    const kind = (Object.keys(extension) as Kind[]).find((k) => path.endsWith(`.${extension[k]}`));
    if (!source || !kind || !path.startsWith('/r/')) {
      res.writeHead(404).end();
      return;
    }
    const [type, body] = bodies[kind];
    res.writeHead(200, { 'content-type': type, 'cache-control': 'public, max-age=3600', ...sources[source].headers }).end(body);
  });
  port = await listen(server);
  return { url: `http://${SITE}:${port}`, close: () => close(server) };
}

/** One request that reached the collector's origin, as it arrived. */
export interface Tapped {
  method: string;
  path: string;
  /** The request line and headers, as HTTP/1.1 text. */
  headerBytes: number;
  headers: Record<string, string>;
  body: Buffer;
  /** The collector's answer (beacon.js is answered by the tap itself). */
  status?: number;
  answerBytes?: number;
}

export interface Tap {
  url: string;
  seen: Tapped[];
  close(): Promise<void>;
}

/**
 * The collector's origin as pages see it: serves the beacon.js under test and forwards the rest
 * to the collector, keeping every request as it came.
 */
export async function startTap(opts: { collector: string; script: string }): Promise<Tap> {
  const script = readFileSync(opts.script);
  const seen: Tapped[] = [];
  const headerText = (req: IncomingMessage) => {
    let text = `${req.method} ${req.url} HTTP/${req.httpVersion}\r\n`;
    for (let i = 0; i < req.rawHeaders.length; i += 2) text += `${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}\r\n`;
    return `${text}\r\n`;
  };
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
    const tapped: Tapped = { method: req.method!, path: req.url!, headerBytes: Buffer.byteLength(headerText(req)), headers, body: Buffer.concat(chunks) };
    seen.push(tapped);
    if (req.url === '/beacon.js') {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'public, max-age=3600' }).end(script);
      return;
    }
    const forwarded = Object.fromEntries(Object.entries(headers).filter(([k]) => !['host', 'connection', 'content-length'].includes(k)));
    try {
      const answer = await fetch(`${opts.collector}${req.url}`, {
        method: req.method,
        headers: forwarded,
        body: tapped.body.length ? new Uint8Array(tapped.body) : undefined,
      });
      const body = Buffer.from(await answer.arrayBuffer());
      tapped.status = answer.status;
      tapped.answerBytes = body.length;
      const out = Object.fromEntries(
        [...answer.headers].filter(([k]) => !['content-encoding', 'content-length', 'transfer-encoding', 'connection'].includes(k)),
      );
      res.writeHead(answer.status, out).end(body);
    } catch {
      tapped.status = 502; // the collector did not answer; the report shows it
      res.writeHead(502).end();
    }
  });
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}`, seen, close: () => close(server) };
}

/** How a page view ends: the tab hidden while the page lives on, or the page left for another. */
export const endings = {
  hidden: 'tab hidden',
  left: 'page left',
} as const;
export type Ending = keyof typeof endings;

export interface PageView {
  resources: number;
  ending: Ending;
  /** The page's own Resource Timing entries (the collector's excluded), observed from the start. */
  entries: number;
  /** Those entries as JSON, and gzipped: what a beacon shipping raw entries would carry. */
  entriesJsonBytes: number;
  entriesGzipBytes: number;
  /** The beacon POSTs, as they arrived. */
  beacons: (Tapped & { json: string; beacon: Beacon })[];
  /** GET /v1/beacon/config requests (one per page view with a cold cache) and their answers' bytes. */
  configs: Tapped[];
}

declare global {
  interface Window {
    fetched?: boolean;
    benchEntries?: PerformanceEntry[];
  }
}

/**
 * Loads the page with `resources` resources in a fresh browser context (a cold cache, as a new
 * visitor), waits until every resource has loaded and the beacon has its config, ends the page
 * view, and returns what reached the collector's origin.
 *
 * Headless Chromium never hides a tab (another tab brought to the front and a minimised window
 * both leave it "visible"), so the hidden tab is played in the page: visibilityState reads
 * "hidden" and visibilitychange fires; from there the beacon's own code runs as in a real tab.
 */
export async function pageView(browser: Browser, site: BenchSite, tap: Tap, resources: number, ending: Ending): Promise<PageView> {
  const context = await browser.newContext();
  await context.addInitScript(() => {
    window.benchEntries = [];
    new PerformanceObserver((list) => window.benchEntries!.push(...list.getEntries())).observe({ type: 'resource', buffered: true });
  });
  const page = await context.newPage();
  const mark = tap.seen.length;
  const since = () => tap.seen.slice(mark);
  try {
    await page.goto(`${site.url}/catalog/${resources}`, { waitUntil: 'load' });
    await page.waitForFunction(() => window.fetched === true);
    await page.waitForFunction(() => window.benchEntries!.some((e) => e.name.endsWith('/v1/beacon/config')));
    const { entries, entriesJson } = await page.evaluate(async (origin) => {
      await new Promise((r) => setTimeout(r, 50)); // the config's answer is read after its entry
      const own = window.benchEntries!.filter((e) => !e.name.startsWith(origin));
      return { entries: own.length, entriesJson: JSON.stringify(own) };
    }, tap.url);
    if (ending === 'hidden') {
      await page.evaluate(() => {
        Object.defineProperty(document, 'visibilityState', { configurable: true, value: 'hidden' });
        document.dispatchEvent(new Event('visibilitychange'));
      });
    } else {
      await page.goto('about:blank');
    }
    await waitFor(() => since().some((t) => t.method === 'POST' && t.status !== undefined), {
      timeoutMs: 15_000,
      what: `the beacon of the ${resources}-resource page`,
    });
    await context.close();
    // Anything else the page sent as it closed would arrive now.
    await new Promise((r) => setTimeout(r, 300));
    const beacons = since()
      .filter((t) => t.method === 'POST' && t.path === '/v1/beacon')
      .map((t) => {
        const json = (t.body[0] === 0x1f && t.body[1] === 0x8b ? gunzipSync(t.body) : t.body).toString('utf8');
        return { ...t, json, beacon: JSON.parse(json) as Beacon };
      });
    const configs = since().filter((t) => t.method === 'GET' && t.path === '/v1/beacon/config');
    const entriesJsonBytes = Buffer.byteLength(entriesJson);
    return { resources, ending, entries, entriesJsonBytes, entriesGzipBytes: gzipSync(entriesJson).length, beacons, configs };
  } finally {
    await context.close();
  }
}
