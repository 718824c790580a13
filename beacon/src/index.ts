/**
 * The vendorwatch beacon, for bundlers: `start({ collector })`. The script-tag build (script.ts)
 * calls the same function. Observers start at once (buffered, so nothing before them is missed);
 * attribution and sending wait for the config, which names the vendors, the page groups and the
 * privacy switches.
 */
import type { BeaconConfig } from '../../config/beacon.ts';
import { observeLoadErrors } from './errors.ts';
import { addVital, toBeacon, watchPageViews, type PageView } from './pageview.ts';
import { mayMeasure } from './privacy.ts';
import { createSender, encodeBeacon } from './send.ts';
import { observeVitals } from './vitals.ts';

/** Set by `beacon/build.ts --config FILE` to skip fetching the config from the collector. */
declare const VENDORWATCH_CONFIG: BeaconConfig | undefined;

interface StartOptions {
  /** The collector's base URL, e.g. "https://collector.example.com". */
  collector: string;
  /** The config, instead of fetching it from the collector. */
  config?: BeaconConfig;
  /** Consent already given, for sites with `rum.require_consent`. */
  consent?: boolean;
}

export interface Beacon {
  /** Gives (true) or withdraws (false) consent; withdrawing drops what was not sent. */
  consent(granted: boolean): void;
}

/** Page views kept while the config or consent is awaited, at most. */
const MAX_WAITING = 50;
/**
 * How long a view ended by a route change still takes vitals: web-vitals closes the previous
 * view's INP and CLS when the browser detects the soft navigation, just after the route changed.
 */
const ROUTE_GRACE_MS = 2000;

export function start(opts: StartOptions): Beacon {
  const endpoint = new URL('v1/beacon', new URL(opts.collector, location.href).href.replace(/\/?$/, '/')).href;
  // The beacon's own requests (config and beacons) are not the site's.
  const isSites = (e: PerformanceEntry) => !e.name.startsWith(endpoint);
  const nav = Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, '0')).join('');
  const sender = createSender(endpoint);
  let config: BeaconConfig | undefined;
  let allowed = true;
  let consent = opts.consent;
  let grace: ReturnType<typeof setTimeout> | undefined;
  /** Ended views, not sent yet: in their grace, or waiting for the config or consent. */
  const ended: PageView[] = [];

  const send = (now: boolean) => {
    if (!config || consent === false || (config.requireConsent && !consent)) return;
    for (const view of ended.filter((v) => v.final)) {
      ended.splice(ended.indexOf(view), 1);
      const body = encodeBeacon(toBeacon(view, nav, config));
      if (body) sender.send(body, now);
    }
  };
  const finish = (now: boolean) => {
    clearTimeout(grace);
    for (const view of ended) view.final = true;
    send(now);
  };

  const resources = new PerformanceObserver(((list, _observer, options?: { droppedEntriesCount?: number }) => {
    const view = current();
    view.lost += options?.droppedEntriesCount ?? 0;
    if (!view.ended) view.entries.push(...(list.getEntries().filter(isSites) as PerformanceResourceTiming[]));
  }) as PerformanceObserverCallback);

  const current = watchPageViews({
    end(view, routed) {
      view.entries.push(...(resources.takeRecords().filter(isSites) as PerformanceResourceTiming[]));
      if (!allowed) return;
      ended.push(view);
      if (ended.length > MAX_WAITING) ended.shift();
      if (!routed) return finish(false);
      clearTimeout(grace);
      grace = setTimeout(() => finish(false), ROUTE_GRACE_MS);
    },
    leave() {
      finish(true);
      sender.flush();
    },
  });

  resources.observe({ type: 'resource', buffered: true });
  // A full buffer stops buffering, not observing: raise it for those who read the buffer late
  // (web-vitals looks the LCP resource up there).
  performance.addEventListener('resourcetimingbufferfull', () => performance.setResourceTimingBufferSize(2000));
  observeLoadErrors((url) => current().failedLoads.push(url));
  observeVitals((metric, source) => addVital([current(), ...ended.slice().reverse()], metric, source));

  const configure = (c: BeaconConfig | undefined) => {
    if (!c) return;
    config = c;
    allowed = mayMeasure(c);
    if (!allowed) ended.length = 0;
    send(false);
  };
  const inlined = opts.config ?? (typeof VENDORWATCH_CONFIG === 'object' ? VENDORWATCH_CONFIG : undefined);
  if (inlined) configure(inlined);
  else
    fetch(`${endpoint}/config`, { credentials: 'omit', referrerPolicy: 'no-referrer' })
      .then((r) => (r.ok ? (r.json() as Promise<BeaconConfig>) : undefined))
      .then(configure, () => {});

  return {
    consent(granted) {
      consent = granted;
      if (granted) send(false);
      else ended.length = 0;
    },
  };
}
