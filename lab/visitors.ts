/**
 * Simulated shoppers for the demo: a few page views a second from each region. Each visitor
 * loads the shop's stylesheet and logo from edgeco's edge (with a User-Agent naming its region,
 * so a fault of one region's POP hits its visitors as it hits its probes), then sends the
 * collector the beacon the shop's page would have sent, through the shop's "CDN", which tells
 * the collector the visitor's country in a header, as CF-IPCountry does. No browser needed.
 */
import { randomBytes } from 'node:crypto';
import type { Beacon } from '../config/beacon.ts';

interface VisitorsOptions {
  /** edgeco's edge, e.g. http://127.0.0.1:19780 */
  edge: string;
  /** The shop's origin, as the beacon's Origin (it must be in rum.origins). */
  shop: string;
  /** The collector's base URL. */
  collector: string;
  /** The header that carries the visitor's country (rum.country.header). */
  countryHeader: string;
  /** Visitors per region, and the country they come from. */
  regions: readonly { region: string; country: string }[];
  /** Page views per second from each region. */
  perSecond: number;
}

const ASSETS = [
  ['/static/style.css', 'css'],
  ['/static/logo.png', 'img'],
] as const;

/** Loads the assets as a browser would: how long each took and whether it failed. */
async function loadAssets(edge: string, region: string): Promise<Beacon['resources'][string]> {
  const samples: Beacon['resources'][string]['samples'] = [];
  let failed = 0;
  for (const [path, type] of ASSETS) {
    const started = performance.now();
    try {
      const res = await fetch(`${edge}${path}`, {
        headers: { 'user-agent': `lab-shopper/0.1 (visitor shopper; region ${region})` },
        signal: AbortSignal.timeout(5000),
      });
      await res.arrayBuffer();
      if (res.status >= 400) failed++;
    } catch {
      failed++;
    }
    samples.push([type, 'miss', Math.round(performance.now() - started)]);
  }
  return { count: ASSETS.length, bytes: 0, cacheHits: 0, failed, noTimingAllowOrigin: 0, protocols: { 'http/1.1': ASSETS.length }, samples };
}

async function visit(opts: VisitorsOptions, region: string, country: string): Promise<void> {
  const beacon: Beacon = {
    v: 1,
    nav: randomBytes(8).toString('hex'),
    seq: 0,
    type: 'navigate',
    group: 'product',
    resources: { edgeco: await loadAssets(opts.edge, region) },
    lost: 0,
  };
  await fetch(`${opts.collector}/v1/beacon`, {
    method: 'POST',
    headers: { origin: opts.shop, 'content-type': 'text/plain', [opts.countryHeader]: country },
    body: JSON.stringify(beacon),
    signal: AbortSignal.timeout(5000),
  });
}

/** Starts the visitors; the returned function stops them. A visit that fails (the collector restarting) is simply lost. */
export function startVisitors(opts: VisitorsOptions): () => void {
  const timer = setInterval(() => {
    for (const { region, country } of opts.regions) void visit(opts, region, country).catch(() => {});
  }, 1000 / opts.perSecond);
  return () => clearInterval(timer);
}
