/** The beacon's pure parts: navigation phases, page groups, vitals per view, size limit (the resource summary: resources.test.ts). */
import { describe, expect, it } from 'vitest';
import { beaconSchema, type Beacon } from '../../config/beacon.ts';
import { loadType, navigationPhases, type NavigationEntryLike } from '../../beacon/src/navigation.ts';
import type { Metric } from 'web-vitals';
import { addVital, pageGroup, type PageView } from '../../beacon/src/pageview.ts';
import { encodeBeacon, MAX_BODY_CHARS } from '../../beacon/src/send.ts';

const nav: NavigationEntryLike = {
  type: 'navigate',
  nextHopProtocol: 'h2',
  startTime: 0,
  domainLookupStart: 5,
  domainLookupEnd: 25,
  connectStart: 25,
  secureConnectionStart: 40,
  connectEnd: 70,
  requestStart: 71,
  responseStart: 171.4,
  responseEnd: 200,
  domContentLoadedEventEnd: 650,
  loadEventEnd: 1200,
};

describe('navigationPhases', () => {
  it('splits a load into dns, connect, tls, ttfb, download, dom and load, in whole ms', () => {
    expect(navigationPhases(nav)).toEqual({ dns: 20, connect: 15, tls: 30, ttfb: 100, download: 29, dom: 450, load: 1200 });
  });

  it('leaves out TLS on plain HTTP and the phases the page has not reached', () => {
    expect(navigationPhases({ ...nav, secureConnectionStart: 0, domContentLoadedEventEnd: 0, loadEventEnd: 0 })).toEqual({
      dns: 20,
      connect: 45,
      ttfb: 100,
      download: 29,
    });
  });

  it('counts a prerendered page from its activation', () => {
    expect(navigationPhases({ ...nav, activationStart: 1000 }).load).toBe(200);
    expect(loadType({ ...nav, activationStart: 1000 })).toBe('prerender');
  });

  it('names page view types as the collector knows them', () => {
    expect(loadType({ ...nav, type: 'back_forward' })).toBe('back_forward');
    expect(loadType({ ...nav, type: 'reload' })).toBe('reload');
    expect(loadType(undefined)).toBe('navigate');
  });
});

describe('pageGroup', () => {
  const groups = [
    { name: 'product', match: '^/p/\\d+' },
    { name: 'shop', match: '^/(p|cart)' },
  ];
  it('takes the first group whose regex matches the path, else "other"', () => {
    expect(pageGroup('/p/42', groups)).toBe('product');
    expect(pageGroup('/cart', groups)).toBe('shop');
    expect(pageGroup('/', groups)).toBe('other');
  });
});

describe('addVital', () => {
  const view = (seq: number, type: PageView['type'], path: string, over: Partial<PageView> = {}): PageView => ({
    seq,
    type,
    path,
    entries: [],
    failedLoads: [],
    vitals: {},
    lost: 0,
    ...over,
  });
  const metric = (name: Metric['name'], navigationType: Metric['navigationType'], value: number, navigationURL?: string) =>
    ({ name, navigationType, value, navigationURL }) as Metric;

  it('puts a late report about the load on the load view, still in its grace after a route change', () => {
    const load = view(0, 'navigate', '/shop', { ended: true });
    const route = view(1, 'route', '/cart');
    addVital([route, load], metric('INP', 'navigate', 320), 'https://js.vendor-c.test/tag.js');
    expect(load.vitals.INP).toEqual({ value: 320, source: 'https://js.vendor-c.test/tag.js' });
    expect(route.vitals).toEqual({});
  });

  it('puts soft-navigation vitals on the route view of the same path, and nothing on a sent view', () => {
    const load = view(0, 'navigate', '/shop', { ended: true, final: true });
    const route = view(1, 'route', '/cart');
    addVital([route, load], metric('LCP', 'soft-navigation', 40, 'http://www.site.test/cart?x=1'), undefined);
    addVital([route, load], metric('FCP', 'soft-navigation', 30, 'http://www.site.test/elsewhere'), undefined);
    addVital([route, load], metric('CLS', 'navigate', 0.3), undefined);
    expect(route.vitals).toEqual({ LCP: { value: 40, source: undefined } });
    expect(load.vitals).toEqual({});
  });

  it('drops the placeholder TTFB web-vitals reports after a bfcache restore', () => {
    const restored = view(1, 'bfcache', '/p');
    addVital([restored], metric('TTFB', 'back-forward-cache', 0), undefined);
    addVital([restored], metric('FCP', 'back-forward-cache', 16), undefined);
    expect(restored.vitals).toEqual({ FCP: { value: 16, source: undefined } });
  });
});

describe('encodeBeacon', () => {
  const big = (): Beacon => ({
    v: 1,
    nav: '0123456789abcdef',
    seq: 0,
    type: 'navigate',
    group: 'home',
    vitals: { LCP: { value: 1200, vendor: 'acme-cdn' } },
    resources: Object.fromEntries(
      [...Array(40)].map((_, i) => [
        `vendor-${i}`,
        {
          count: 2000,
          bytes: 1,
          cacheHits: 0,
          failed: 0,
          noTimingAllowOrigin: 0,
          protocols: { h2: 2000 },
          samples: [...Array(2000)].map(() => ['img', 'miss', 123] as ['img', 'miss', number]),
        },
      ]),
    ),
    lost: 0,
  });

  it('passes a small beacon as it is', () => {
    const b = big();
    b.resources = {};
    expect(JSON.parse(encodeBeacon(b)!)).toEqual(b);
  });

  it('drops per-entry samples first to stay under the keepalive limit, and says so', () => {
    const json = encodeBeacon(big())!;
    expect(json.length).toBeLessThanOrEqual(MAX_BODY_CHARS);
    const sent = beaconSchema.parse(JSON.parse(json));
    expect(sent.truncated).toBe(true);
    expect(sent.resources['vendor-0']).toMatchObject({ count: 2000, samples: [] });
    expect(sent.vitals).toEqual({ LCP: { value: 1200, vendor: 'acme-cdn' } });
  });

  it('then the resources, keeping navigation and vitals', () => {
    const json = encodeBeacon(big(), 2000)!;
    expect(JSON.parse(json)).toMatchObject({ resources: {}, truncated: true, vitals: { LCP: { value: 1200 } } });
  });
});
