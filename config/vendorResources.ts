/**
 * What Resource Timing says about one vendor's objects on a page: the shape `summarizeResources`
 * (resourceTiming.ts) produces, both in browser checks (CheckResult.details.vendors) and in the
 * beacon before it is reduced to the payload (beacon.ts). resourceTiming.ts runs in users' pages,
 * so it takes only the types from here and zod never ships with the beacon.
 */
import { z } from 'zod';

/** Resource types, a bounded set (the browser's initiatorType has many more values). */
export const resourceTypes = ['script', 'css', 'img', 'fetch', 'frame', 'media', 'other'] as const;
export type ResourceType = (typeof resourceTypes)[number];

/** Whether an entry came from the browser cache; "unknown" without Timing-Allow-Origin (sizes read 0). */
export const cacheOutcomes = ['hit', 'miss', 'unknown'] as const;
export type CacheOutcome = (typeof cacheOutcomes)[number];

const count = z.number().int().nonnegative();

// No bounds beyond the types: the numbers come from the browser as they are.
export const vendorResourcesSchema = z.object({
  count,
  bytes: z.number().describe('Bytes over the wire (0 for cache hits and for entries without Timing-Allow-Origin).'),
  cacheHits: count.describe('Served from the browser cache: nothing transferred, yet a body decoded.'),
  failed: count.describe('Status ≥ 400 where the browser exposes it, plus loads that fired an error event (counted once).'),
  noTimingAllowOrigin: count.describe('Cross-origin entries without Timing-Allow-Origin: sizes and phase timings read as zero.'),
  durationsMs: z.array(z.number()).describe("Each entry's duration in milliseconds, rounded."),
  protocols: z.record(z.string(), count).describe('Entries per protocol (h2, h3, http/1.1; "unknown" without Timing-Allow-Origin).'),
  types: z.record(z.string(), count).describe('Entries per initiator type (script, img, css, fetch, ...).'),
  samples: z
    .array(z.tuple([z.enum(resourceTypes), z.enum(cacheOutcomes), z.number()]))
    .describe("Each entry's bounded type, cache outcome and rounded duration in ms, for histograms."),
});
export type VendorResources = z.infer<typeof vendorResourcesSchema>;
