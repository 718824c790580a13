/**
 * The two shapes the beacon and its collector share: the settings the collector hands to pages
 * and the beacon a page sends (their routes: agent/collector/rum/routes.ts). A contract between
 * the browser bundle and the collector, so it lives here where both may import it. The bundle
 * imports only the types, so zod never ships to users' pages.
 */
import { z } from 'zod';
import { webVitalNames } from './checks/browser.ts';
import type { Config } from './schema.ts';
import { cacheOutcomes, resourceTypes } from './vendorResources.ts';

export const beaconConfigSchema = z.object({
  vendors: z.array(
    z.object({
      name: z.string(),
      hosts: z.array(z.string()),
      identify: z.object({ header: z.string(), match: z.string() }).optional(),
    }),
  ),
  pageGroups: z.array(z.object({ name: z.string(), match: z.string() })),
  sampleRate: z.number().min(0).max(1),
  requireConsent: z.boolean(),
  respectDoNotTrack: z.boolean(),
});
export type BeaconConfig = z.infer<typeof beaconConfigSchema>;

/** What a page needs from the config: vendor host patterns, page groups and the privacy switches. */
export function beaconConfig(config: Config): BeaconConfig {
  return {
    vendors: config.vendors.map(({ name, hosts, identify }) => (identify ? { name, hosts, identify } : { name, hosts })),
    pageGroups: config.rum.page_groups,
    sampleRate: config.rum.sample_rate,
    requireConsent: config.rum.require_consent,
    respectDoNotTrack: config.rum.respect_do_not_track,
  };
}

/** How a page view began: the browser's navigation types, a bfcache restore, or an SPA route change. */
const pageViewTypes = ['navigate', 'reload', 'back_forward', 'prerender', 'bfcache', 'route'] as const;
export type PageViewType = (typeof pageViewTypes)[number];

/** Navigation Timing phases; "load" is the whole load, from navigation start to the end of the load event. */
export const navigationPhases = ['dns', 'connect', 'tls', 'ttfb', 'download', 'dom', 'load'] as const;

/** Ten minutes, in ms: longer is not a measurement of a page view. */
const ms = z.number().nonnegative().max(600_000);
const count = z.number().int().nonnegative().max(100_000);
const label = z.string().max(63);
const fewKeys = (max: number) => (o: object) => Object.keys(o).length <= max;

const beaconResourcesSchema = z
  .strictObject({
    count,
    bytes: z.number().int().nonnegative().max(1e11),
    cacheHits: count,
    failed: count,
    noTimingAllowOrigin: count,
    protocols: z.record(z.string().max(16), count).refine(fewKeys(8), 'too many protocols'),
    samples: z.array(z.tuple([z.enum(resourceTypes), z.enum(cacheOutcomes), ms])).max(5000),
  })
  .refine(
    (r) =>
      Math.max(
        r.samples.length,
        r.cacheHits,
        r.noTimingAllowOrigin,
        Object.values(r.protocols).reduce((a, b) => a + b, 0),
      ) <= r.count,
    { message: 'samples, cache hits, entries without Timing-Allow-Origin and protocols cannot exceed the count' },
  );

/** One page view's measurements. Durations in ms; no URL, path or user identifier anywhere. */
export const beaconSchema = z.strictObject({
  v: z.literal(1),
  nav: z
    .string()
    .regex(/^[0-9a-f]{16}$/)
    .describe('Random per document; the same across its page views, never stored in the browser.'),
  seq: z.number().int().nonnegative().max(100_000).describe('Page view number within the document: 0 is the load.'),
  type: z.enum(pageViewTypes),
  group: label.describe('Page group, mapped in the page.'),
  protocol: z.string().max(16).optional().describe("The document's protocol (loads only)."),
  phases: z.partialRecord(z.enum(navigationPhases), ms).optional(),
  vitals: z
    .partialRecord(z.enum(webVitalNames), z.strictObject({ value: z.number().nonnegative().max(600_000), vendor: label.optional() }))
    .optional()
    .describe('web-vitals values: ms, CLS unitless; vendor behind the LCP resource or the slow INP script.'),
  resources: z.record(label, beaconResourcesSchema).refine(fewKeys(500), 'too many vendors'),
  lost: count.describe('Resource entries the browser dropped before the beacon observed them.'),
  truncated: z.boolean().optional().describe('Per-entry samples were dropped to fit the size limit.'),
});
export type Beacon = z.infer<typeof beaconSchema>;
