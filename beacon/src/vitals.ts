/**
 * Core Web Vitals through the web-vitals package's plain builds, and what a vital can be blamed
 * on, found here rather than by web-vitals' attribution builds (which measure much more and
 * would be half the beacon's size): the resource behind the largest paint, and the script that
 * ran longest during the slowest interaction (from Long Animation Frames, where the browser has
 * them), so the page view can blame a vendor.
 */
import type { Metric } from 'web-vitals';
import { onCLS } from 'web-vitals/onCLS.js';
import { onFCP } from 'web-vitals/onFCP.js';
import { onINP } from 'web-vitals/onINP.js';
import { onLCP } from 'web-vitals/onLCP.js';
import { onTTFB } from 'web-vitals/onTTFB.js';
import type { ResourceEntryLike } from '../../config/resourceTiming.ts';

/**
 * What a vital can be blamed on: the LCP resource's entry or URL, or the slow interaction's
 * script URL, looked up when the beacon is made (by then its animation frames have all arrived).
 */
export type VitalSource = ResourceEntryLike | string | (() => string | undefined) | undefined;

/** The parts of a Long Animation Frame entry read here (not in TypeScript's DOM types yet). */
interface AnimationFrame {
  startTime: number;
  duration: number;
  scripts: { startTime: number; duration: number; sourceURL: string }[];
}

/** Long animation frames kept, at most: the slowest interaction is usually among the latest. */
const MAX_FRAMES = 100;

/** Frames of 50 ms or more, as the browser reports them, to search when an interaction is slow. */
function watchAnimationFrames(): AnimationFrame[] {
  const frames: AnimationFrame[] = [];
  if (!PerformanceObserver.supportedEntryTypes?.includes('long-animation-frame')) return frames;
  new PerformanceObserver((list) => {
    frames.push(...(list.getEntries() as unknown as AnimationFrame[]));
    frames.splice(0, frames.length - MAX_FRAMES);
  }).observe({ type: 'long-animation-frame', buffered: true });
  return frames;
}

/** The URL of the script that ran longest between the interaction and the next paint, as web-vitals' attribution finds it. */
function longestScript(frames: AnimationFrame[], interaction: PerformanceEntry | undefined): string | undefined {
  if (!interaction) return undefined;
  const start = interaction.startTime;
  const paint = start + interaction.duration;
  let longest = 0;
  let url: string | undefined;
  for (const frame of frames) {
    if (frame.startTime > paint || frame.startTime + frame.duration < start) continue;
    for (const script of frame.scripts) {
      const ran = script.startTime + script.duration - Math.max(start, script.startTime);
      if (ran > longest) [longest, url] = [ran, script.sourceURL];
    }
  }
  return url || undefined;
}

/**
 * Calls back on every change of every vital, so the page view always holds the latest value,
 * whatever order the hidden-page listeners run in (web-vitals handles interactions when the page
 * is idle, within a second). Each vital starts afresh after a bfcache restore and, where the
 * browser detects them, after soft navigations.
 */
export function observeVitals(onVital: (metric: Metric, source?: VitalSource) => void): void {
  const opts = { reportAllChanges: true, reportSoftNavs: true };
  const frames = watchAnimationFrames();
  onLCP((m) => {
    const url = (m.entries.at(-1) as (PerformanceEntry & { url?: string }) | undefined)?.url;
    // The entry, when there is one, can name a CDN by its Server-Timing; the URL only by its host.
    onVital(m, url ? ((performance.getEntriesByName(url, 'resource')[0] as PerformanceResourceTiming | undefined) ?? url) : undefined);
  }, opts);
  onINP((m) => onVital(m, () => longestScript(frames, m.entries[0])), opts);
  onCLS(onVital, opts);
  onFCP(onVital, opts);
  onTTFB(onVital, opts);
}
