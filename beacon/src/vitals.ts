/**
 * Core Web Vitals through the web-vitals package. The attribution builds of LCP and INP name
 * the resource behind the largest paint and the script behind a slow interaction, so the page
 * view can blame a vendor; the other three use the plain builds, which are smaller.
 */
import type { Metric } from 'web-vitals';
import { onINP } from 'web-vitals/attribution/onINP.js';
import { onLCP } from 'web-vitals/attribution/onLCP.js';
import { onCLS } from 'web-vitals/onCLS.js';
import { onFCP } from 'web-vitals/onFCP.js';
import { onTTFB } from 'web-vitals/onTTFB.js';
import type { ResourceEntryLike } from '../../config/resourceTiming.ts';

/** What a vital can be blamed on: the LCP resource's entry, or a script's URL. */
export type VitalSource = ResourceEntryLike | string | undefined;

/**
 * Calls back on every change of every vital, so the page view always holds the latest value,
 * whatever order the hidden-page listeners run in (web-vitals handles interactions when the page
 * is idle, within a second). Each vital starts afresh after a bfcache restore and, where the
 * browser detects them, after soft navigations.
 */
export function observeVitals(onVital: (metric: Metric, source?: VitalSource) => void): void {
  const opts = { reportAllChanges: true, reportSoftNavs: true };
  onLCP((m) => onVital(m, m.attribution.lcpResourceEntry ?? m.attribution.url), opts);
  onINP((m) => onVital(m, m.attribution.longestScript?.entry.sourceURL || undefined), opts);
  onCLS(onVital, opts);
  onFCP(onVital, opts);
  onTTFB(onVital, opts);
}
