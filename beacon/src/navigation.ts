/**
 * Navigation Timing: how the document itself loaded, as phases in ms. Pure, so unit tests can
 * feed it any timing.
 */
import type { Beacon, PageViewType } from '../../config/beacon.ts';

/** The fields of a PerformanceNavigationTiming this reads. */
export interface NavigationEntryLike {
  type: string;
  nextHopProtocol: string;
  startTime: number;
  domainLookupStart: number;
  domainLookupEnd: number;
  connectStart: number;
  secureConnectionStart: number;
  connectEnd: number;
  requestStart: number;
  responseStart: number;
  responseEnd: number;
  domContentLoadedEventEnd: number;
  loadEventEnd: number;
  activationStart?: number;
}

type Phases = NonNullable<Beacon['phases']>;

/**
 * dns, connect (TCP only), tls, ttfb (request sent → first byte), download, dom (last byte →
 * DOMContentLoaded done) and load (navigation start, or prerender activation, → load event done).
 * Phases the page has not reached yet are left out.
 */
export function navigationPhases(n: NavigationEntryLike): Phases {
  const tls = n.secureConnectionStart > 0;
  const phases: Phases = {
    dns: n.domainLookupEnd - n.domainLookupStart,
    connect: (tls ? n.secureConnectionStart : n.connectEnd) - n.connectStart,
    ttfb: n.responseStart - n.requestStart,
  };
  if (tls) phases.tls = n.connectEnd - n.secureConnectionStart;
  if (n.responseEnd > 0) phases.download = n.responseEnd - n.responseStart;
  if (n.domContentLoadedEventEnd > 0) phases.dom = n.domContentLoadedEventEnd - n.responseEnd;
  if (n.loadEventEnd > 0) phases.load = n.loadEventEnd - Math.max(n.startTime, n.activationStart ?? 0);
  for (const k of Object.keys(phases) as (keyof Phases)[]) phases[k] = Math.max(0, Math.round(phases[k]!));
  return phases;
}

/** The page view type of a document load; a prerendered page shows an activation time. */
export function loadType(n: NavigationEntryLike | undefined): PageViewType {
  if ((n?.activationStart ?? 0) > 0) return 'prerender';
  const t = n?.type.replace('-', '_');
  return t === 'reload' || t === 'back_forward' ? t : 'navigate';
}
