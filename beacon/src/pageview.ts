/**
 * Page views: the document's load, each bfcache restore and each SPA route change is one, all
 * under one navigation id. A page view ends, and is sent, when the page is hidden, when the route
 * changes, or when the page goes into the bfcache or away.
 */
import type { Metric } from 'web-vitals';
import type { Beacon, BeaconConfig, PageViewType } from '../../config/beacon.ts';
import { vendorForUrl } from '../../config/hosts.ts';
import { OTHER_VENDOR, summarizeResources, vendorForEntry, type ResourceEntryLike } from '../../config/resourceTiming.ts';
import { loadType, navigationPhases, type NavigationEntryLike } from './navigation.ts';
import type { VitalSource } from './vitals.ts';

export interface PageView {
  seq: number;
  type: PageViewType;
  /** Kept in memory to find the page group; never sent. */
  path: string;
  entries: ResourceEntryLike[];
  failedLoads: string[];
  vitals: Partial<Record<Metric['name'], { value: number; source: VitalSource }>>;
  lost: number;
  /** No longer the current view: takes no more resources. */
  ended?: boolean;
  /** Takes no more vitals either: ready to send. */
  final?: boolean;
}

const navigationEntry = () => performance.getEntriesByType('navigation')[0] as NavigationEntryLike | undefined;

/**
 * Follows the page's views; `end` is called once for each (`routed` when a route change ended
 * it), `leave` when the page goes into the bfcache or away (after `end`). Returns the current view.
 */
export function watchPageViews(on: { end(view: PageView, routed: boolean): void; leave(): void }): () => PageView {
  let seq = 0;
  const begin = (type: PageViewType): PageView => ({ seq: seq++, type, path: location.pathname, entries: [], failedLoads: [], vitals: {}, lost: 0 });
  let view = begin(loadType(navigationEntry()));
  const end = (routed = false) => {
    if (view.ended) return;
    view.ended = true;
    on.end(view, routed);
  };
  // A new path is a new view; a query or fragment change is not. replaceState corrects the path.
  const routed = () => {
    if (location.pathname === view.path) return;
    end(true);
    view = begin('route');
  };
  const { pushState, replaceState } = history;
  history.pushState = function (...args) {
    pushState.apply(this, args);
    routed();
  };
  history.replaceState = function (...args) {
    replaceState.apply(this, args);
    view.path = location.pathname;
  };
  addEventListener('popstate', routed);
  document.addEventListener('visibilitychange', () => document.visibilityState === 'hidden' && end());
  addEventListener('pagehide', () => {
    end();
    on.leave();
  });
  addEventListener('pageshow', (e) => {
    if (e.persisted) view = begin('bfcache');
  });
  return () => view;
}

const kindOf = (view: PageView) => (view.type === 'route' || view.type === 'bfcache' ? view.type : 'load');

/**
 * Keeps a web-vitals report on the view it is about: the first of `views` (newest first) still
 * taking vitals whose kind (load, bfcache restore, route) and, for routes, path match.
 */
export function addVital(views: PageView[], metric: Metric, source: VitalSource): void {
  const t = metric.navigationType;
  const about = t === 'soft-navigation' ? 'route' : t === 'back-forward-cache' ? 'bfcache' : 'load';
  // After a restore or a soft navigation web-vitals reports TTFB as a placeholder 0.
  if (about !== 'load' && metric.name === 'TTFB') return;
  const path = about === 'route' && metric.navigationURL && new URL(metric.navigationURL).pathname;
  const view = views.find((v) => !v.final && kindOf(v) === about && (!path || v.path === path));
  if (view) view.vitals[metric.name] = { value: metric.value, source };
}

export function pageGroup(path: string, groups: BeaconConfig['pageGroups']): string {
  return groups.find((g) => new RegExp(g.match).test(path))?.name ?? 'other';
}

/** The beacon for a view: vendors, page group and numbers, no URL. */
export function toBeacon(view: PageView, nav: string, config: BeaconConfig): Beacon {
  const n = view.type === 'route' || view.type === 'bfcache' ? undefined : navigationEntry();
  const vitals: NonNullable<Beacon['vitals']> = {};
  for (const [name, { value, source: given }] of Object.entries(view.vitals)) {
    const source = typeof given === 'function' ? given() : given;
    const vendor = typeof source === 'string' ? (vendorForUrl(config.vendors, source) ?? OTHER_VENDOR) : source && vendorForEntry(source, config.vendors);
    vitals[name as Metric['name']] = { value: name === 'CLS' ? Math.round(value * 1e4) / 1e4 : Math.round(value), ...(vendor && { vendor }) };
  }
  const resources: Beacon['resources'] = {};
  for (const [vendor, r] of Object.entries(summarizeResources(view.entries, config.vendors, view.failedLoads))) {
    const { count, bytes, cacheHits, failed, noTimingAllowOrigin, protocols, samples } = r;
    resources[vendor] = { count, bytes, cacheHits, failed, noTimingAllowOrigin, protocols, samples };
  }
  return {
    v: 1,
    nav,
    seq: view.seq,
    type: view.type,
    group: pageGroup(view.path, config.pageGroups),
    ...(n && { protocol: n.nextHopProtocol || 'unknown', phases: navigationPhases(n) }),
    vitals,
    resources,
    lost: view.lost,
  };
}
