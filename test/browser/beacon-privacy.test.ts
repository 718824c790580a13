/**
 * The beacon's switches in real Chromium: consent, Do-Not-Track/GPC, the sendBeacon fallback and
 * backing off when the collector says 429. Collectors run in-process; each serves a beacon.js
 * built with its config inlined (so a page is ready to send as soon as the script runs) and
 * counts the beacons that reach it. "Nothing was sent" is shown by ordering: a later page's
 * beacon arrives, and the earlier page's would have arrived before it.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../agent/log.ts';
import { startServer, type RunningServer } from '../../agent/server.ts';
import { buildBeacon } from '../../beacon/build.ts';
import { beaconRoutes } from '../../agent/collector/rum/routes.ts';
import { configSchema } from '../../config/schema.ts';
import { startLabSite, type LabSite } from '../../lab/site.ts';
import { launchChromium } from '../support/chromium.ts';
import { freePort, tempDir, waitFor } from '../support/processes.ts';

interface Collector {
  site: LabSite;
  server: RunningServer;
  /** Status, content type and fetch mode (cors for fetch, no-cors for sendBeacon) of every beacon that arrived. */
  arrivals: { status: number; type: string; mode: string }[];
}

const logger = createLogger('silent');
const collectors: Collector[] = [];
let browser: Browser;

async function startCollector(rum: Record<string, unknown>): Promise<Collector> {
  const port = await freePort();
  const site = await startLabSite({ collector: `http://127.0.0.1:${port}` });
  const config = { vendors: site.vendors, rum: { origins: [site.url], page_groups: site.pageGroups, ...rum } };
  const dir = tempDir();
  writeFileSync(join(dir, 'vendorwatch.yaml'), JSON.stringify(config));
  await buildBeacon({ configFile: join(dir, 'vendorwatch.yaml'), outdir: dir });
  const routes = beaconRoutes(configSchema.parse(config), logger, { script: join(dir, 'beacon.js') });
  const arrivals: Collector['arrivals'] = [];
  const accept = routes['POST /v1/beacon']!;
  routes['POST /v1/beacon'] = async (req, res, url) => {
    await accept(req, res, url);
    arrivals.push({ status: res.statusCode, type: String(req.headers['content-type']), mode: String(req.headers['sec-fetch-mode']) });
  };
  const c = { site, server: await startServer({ listen: `127.0.0.1:${port}`, logger, routes }), arrivals };
  collectors.push(c);
  return c;
}

/** Opens a page in a fresh context (so nothing carries over), runs `then` in it, and leaves. */
async function visit(c: Collector, path: string, opts: { init?: string; then?: (page: Page) => Promise<void> } = {}): Promise<void> {
  const context = await browser.newContext();
  if (opts.init) await context.addInitScript(opts.init);
  const page = await context.newPage();
  await page.goto(`${c.site.url}${path}`);
  await opts.then?.(page);
  await page.goto('about:blank'); // hides the page: its view ends and is sent
  // The context stays open: closing it would cancel a keepalive request still on its way.
}

const arrived = (c: Collector, n: number) => waitFor(() => c.arrivals.length >= n, { what: `${n} beacons` });
const settle = () => new Promise((r) => setTimeout(r, 500));
const CONSENT = 'window.vendorwatch = [["consent", true]];';

beforeAll(async () => {
  browser = await launchChromium({ args: ['--host-resolver-rules=MAP *.test 127.0.0.1'] });
});

afterAll(async () => {
  await browser?.close(); // and its contexts
  for (const c of collectors) await Promise.all([c.server.close(), c.site.close()]);
});

describe('with rum.require_consent', () => {
  let c: Collector;
  beforeAll(async () => {
    c = await startCollector({ require_consent: true });
  });

  it('sends nothing without consent, and what it measured once consent comes', async () => {
    await visit(c, '/other');
    await visit(c, '/product/42', {
      then: (page) => page.evaluate(() => (window as unknown as { vendorwatch: { consent(g: boolean): void } }).vendorwatch.consent(true)),
    });
    await arrived(c, 1);
    await settle();
    expect(c.arrivals).toEqual([{ status: 204, type: 'text/plain', mode: 'cors' }]);
  });

  it('takes consent given before the script ran, through the command queue', async () => {
    await visit(c, '/other', { init: CONSENT });
    await arrived(c, 2);
  });

  it('sends nothing from a browser with Global Privacy Control, even with consent', async () => {
    await visit(c, '/other', { init: `Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true }); ${CONSENT}` });
    await visit(c, '/other', { init: CONSENT });
    await arrived(c, 3);
    await settle();
    expect(c.arrivals).toHaveLength(3);
  });

  it('falls back to sendBeacon where fetch cannot send', async () => {
    const noFetch = `const f = window.fetch; window.fetch = (u, o) => { if (o && o.method === 'POST') throw new TypeError('no keepalive'); return f(u, o); }; ${CONSENT}`;
    await visit(c, '/other', { init: noFetch });
    await arrived(c, 4);
    expect(c.arrivals[3]).toEqual({ status: 204, type: 'text/plain', mode: 'no-cors' });
  });
});

describe('when the collector sheds load', () => {
  it('stops sending from a page once it is answered 429', async () => {
    const c = await startCollector({ rate_limit: 1 });
    await visit(c, '/spa/', {
      then: async (page) => {
        await page.click('#cart'); // the load's view: accepted
        await arrived(c, 1);
        await page.evaluate(() => history.pushState({}, '', '/spa/cart/2')); // the cart's view: 429
        await arrived(c, 2);
        await page.waitForTimeout(300); // the 429 reaches the page
        await page.evaluate(() => history.pushState({}, '', '/spa/cart/3')); // not sent
      },
    }); // nor is the last view
    await visit(c, '/other'); // a new page starts afresh: sent, and answered 429
    await arrived(c, 3);
    await settle();
    expect(c.arrivals.map((a) => a.status)).toEqual([204, 429, 429]);
  });
});
