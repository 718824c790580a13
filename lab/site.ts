/**
 * A small website and the third parties it uses, all on loopback: for the beacon's browser tests
 * and the demo. Host names end in ".test"; give Chromium `--host-resolver-rules` from
 * `hostResolverRules` so they reach 127.0.0.1. Every host listens on its own port.
 *
 *   www.site.test         the site: pages carrying the one-line beacon tag
 *   static.vendor-a.test  a CDN: cacheable script and hero image, an API (/stock calls it), Timing-Allow-Origin
 *   assets.neutral.test   a vendor-agnostic name served by vendor-b's CDN (Server-Timing cdn;desc=vendor-b)
 *   js.vendor-c.test      a tag that answers slowly, hides its timings (no Timing-Allow-Origin)
 *                         and hooks clicks with slow work (an INP culprit)
 *   api.vendor-d.test     a widget that fails to load (500) and an API answering 503
 *   ads.unknown.test      a host in no vendor's registry entry
 *
 * URLs carry query strings and fragments with "SECRET" in them, so tests can show they never leave the page.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listen, type LabServer } from './server.ts';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface LabSite {
  /** The site's base URL, e.g. "http://www.site.test:41234". */
  url: string;
  /** vendor-a's CDN base URL, e.g. "http://static.vendor-a.test:41235" (its /app.js is what a probe would check). */
  vendorA: string;
  /** Registry entries for the site's vendors (vendor-a to vendor-d; ads.unknown.test is in none). */
  vendors: { name: string; kind: 'cdn' | 'analytics' | 'api'; hosts: string[]; identify?: { header: string; match: string } }[];
  /** Page groups matching the site's pages. */
  pageGroups: { name: string; match: string }[];
  /** For Chromium's --host-resolver-rules: every *.test name goes to 127.0.0.1. */
  hostResolverRules: string;
  close(): Promise<void>;
}

const HERO = '<svg xmlns="http://www.w3.org/2000/svg" width="800" height="400"><rect width="800" height="400" fill="#3a7"/></svg>';
const TAO = { 'timing-allow-origin': '*', 'access-control-allow-origin': '*' };
const CACHED = { 'cache-control': 'public, max-age=3600' };

const serve = (handler: Handler): Promise<LabServer> => listen(createServer(handler), {}, 'http');

function answer(res: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}, delayMs = 0): void {
  setTimeout(() => {
    res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), ...headers });
    res.end(body);
  }, delayMs);
}

const path = (req: IncomingMessage) => new URL(req.url ?? '/', 'http://x').pathname;

/**
 * Starts the site and its vendors. `collector` is the base URL beacon.js is loaded from and
 * reports to; vendor-a answers 503 to the requests `vendorAFails` picks (e.g. by the Referer of
 * pages served under one region's host name), a fault only some visitors see.
 */
export async function startLabSite(opts: { collector: string; vendorAFails?: (req: IncomingMessage) => boolean }): Promise<LabSite> {
  const a = await serve((req, res) => {
    const p = path(req);
    if (opts.vendorAFails?.(req)) return answer(res, 503, 'text/plain', 'unavailable', TAO);
    if (p === '/app.js') return answer(res, 200, 'text/javascript', 'window.vendorA = true;', { ...TAO, ...CACHED });
    if (p === '/hero.svg') return answer(res, 200, 'image/svg+xml', HERO, { ...TAO, ...CACHED });
    if (p === '/cart.json') return answer(res, 200, 'application/json', '{"items":1}', TAO);
    answer(res, 404, 'text/plain', 'not found', TAO);
  });
  const b = await serve((req, res) => {
    const st = { ...TAO, ...CACHED, 'server-timing': 'cdn;desc=vendor-b, edge;dur=1' };
    if (path(req) === '/site.css') return answer(res, 200, 'text/css', 'body { font-family: sans-serif; }', st);
    answer(res, 404, 'text/plain', 'not found', st);
  });
  // A third-party tag that runs 300 ms of work on every click: what INP attribution should blame.
  const c = await serve((req, res) => {
    const tag = `window.vendorC = true; addEventListener('click', () => { const end = performance.now() + 300; while (performance.now() < end); });`;
    if (path(req) === '/tag.js') return answer(res, 200, 'text/javascript', tag, { 'access-control-allow-origin': '*' }, 400);
    answer(res, 404, 'text/plain', 'not found');
  });
  const d = await serve((req, res) => {
    if (path(req) === '/status') return answer(res, 503, 'application/json', '{"status":"down"}', TAO);
    answer(res, 500, 'text/javascript', 'broken', TAO);
  });
  const unknown = await serve((_req, res) => answer(res, 200, 'image/svg+xml', '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'));

  const A = `http://static.vendor-a.test:${a.port}`;
  const B = `http://assets.neutral.test:${b.port}`;
  const C = `http://js.vendor-c.test:${c.port}`;
  const D = `http://api.vendor-d.test:${d.port}`;
  const U = `http://ads.unknown.test:${unknown.port}`;
  const tag = `<script src="${opts.collector}/beacon.js" data-collector="${opts.collector}" async></script>`;
  const page = (title: string, body: string) =>
    `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title>${tag}</head><body>${body}</body></html>`;

  const pages: Record<string, string> = {
    '/': page('home', '<h1>Lab site</h1><a href="/product/42">product</a>'),
    '/other': page('other', '<p>Another page.</p>'),
    // Calls vendor-a's API with CORS, so the browser shows the beacon its status, failed or not.
    '/stock': page(
      'stock',
      `<h1>Stock</h1><script>
         fetch('${A}/cart.json').catch(() => {}).finally(() => (window.stockChecked = true));
       </script>`,
    ),
    '/product/42': page(
      'product',
      `<link rel="stylesheet" href="${B}/site.css?v=SECRET">
       <script src="${A}/app.js?token=SECRET"></script>
       <script src="${C}/tag.js?id=SECRET" crossorigin="anonymous" async></script>
       <h1>Product</h1>
       <img src="${A}/hero.svg?SECRET" width="800" height="400" alt="">
       <img src="${U}/pixel.svg?SECRET" width="10" height="10" alt="">
       <script>
         fetch('${D}/status?key=SECRET').catch(() => {});
         // A widget loaded late, as tag managers do; it fails.
         addEventListener('load', () => document.body.append(Object.assign(document.createElement('script'), {
           src: '${D}/widget.js?key=SECRET',
           onerror: () => (window.widgetFailed = true),
         })));
       </script>`,
    ),
    '/spa/': page(
      'spa',
      `<h1>Shop</h1><button id="cart">cart</button><main></main>
       <script>
         document.getElementById('cart').addEventListener('click', async () => {
           history.pushState({}, '', '/spa/cart?coupon=SECRET#top');
           const r = await fetch('${A}/cart.json?session=SECRET');
           document.querySelector('main').innerHTML = '<h2>Cart</h2><p>' + (await r.text()) + '</p>';
         });
       </script>`,
    ),
  };
  pages['/spa/cart'] = pages['/spa/']!;

  const site = await serve((req, res) => {
    const html = pages[path(req)];
    if (html) return answer(res, 200, 'text/html; charset=utf-8', html);
    answer(res, 404, 'text/plain', 'not found');
  });

  return {
    url: `http://www.site.test:${site.port}`,
    vendorA: A,
    vendors: [
      { name: 'vendor-a', kind: 'cdn', hosts: ['static.vendor-a.test'] },
      { name: 'vendor-b', kind: 'cdn', hosts: [], identify: { header: 'server-timing', match: 'cdn;desc=vendor-b' } },
      { name: 'vendor-c', kind: 'analytics', hosts: ['*.vendor-c.test'] },
      { name: 'vendor-d', kind: 'api', hosts: ['api.vendor-d.test'] },
    ],
    pageGroups: [
      { name: 'product', match: '^/product/' },
      { name: 'shop', match: '^/spa/?$' },
      { name: 'cart', match: '^/spa/cart' },
    ],
    hostResolverRules: 'MAP *.test 127.0.0.1',
    close: async () => {
      await Promise.all([a, b, c, d, unknown, site].map((s) => s.close()));
    },
  };
}
