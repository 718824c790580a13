import { z } from 'zod';
import { duration } from '../duration.ts';
import { nameSchema } from '../terms.ts';
import { vendorResourcesSchema } from '../vendorResources.ts';
import { commonCheckFields, hostPatternSchema } from './common.ts';

export const browserCheckSchema = z.strictObject({
  ...commonCheckFields,
  kind: z.literal('browser').describe('A scripted transaction in Chromium (Playwright), timed per step and per vendor.'),
  interval: duration.prefault('1m').describe('How often the transaction runs.'),
  timeout: duration
    .prefault('30s')
    .describe('Hard limit for one run. The script gets the timeout minus a reserve (a quarter of it, 1 s to 5 s) for saving failure artifacts.'),
  script: z
    .string()
    .min(1)
    .describe('Transaction script, relative to the config file: a .ts or .js file exporting `default async ({ page, step, vendor }) => { ... }`.'),
  base_url: z
    .url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' })
    .optional()
    .describe('Base URL for relative URLs in the script, e.g. `page.goto("/")` (Playwright `baseURL`).'),
  action_timeout: duration
    .prefault('10s')
    .describe('Default timeout of each Playwright action, wait and navigation; one that runs out fails its step (reason script).'),
  block: z.array(hostPatternSchema).default([]).describe('Requests to these hosts are aborted (real payments, analytics, ads).'),
  allow: z
    .array(hostPatternSchema)
    .optional()
    .describe('When set, only requests to these hosts go out; every other request is aborted. `block` wins over `allow`.'),
  viewport: z
    .strictObject({
      width: z.number().int().min(100).max(8000).default(1280).describe('Page width.'),
      height: z.number().int().min(100).max(8000).default(720).describe('Page height.'),
    })
    .prefault({})
    .describe('Page size in CSS pixels.'),
  thresholds: z
    .strictObject({
      total: duration.optional().describe('A transaction slower than this (all steps together) is degraded.'),
      steps: z.record(z.string().min(1).max(100), duration).prefault({}).describe('Step name → duration: a step slower than this makes the run degraded.'),
      vendors: z
        .record(nameSchema, duration)
        .prefault({})
        .describe('Vendor name (or "other") → duration: one request to that vendor slower than this makes the run degraded.'),
    })
    .prefault({})
    .describe('When a passing run is degraded; the result names the slow step and vendor.'),
  artifacts: z
    .strictObject({
      dir: z
        .string()
        .min(1)
        .default('data/artifacts')
        .describe('Where failed runs leave a screenshot and a Playwright trace: `<dir>/<check>/<time>-<id>/`. Relative to the working directory.'),
      keep: z.number().int().min(0).max(10_000).default(20).describe('Failed runs kept per check, newest first; 0 saves none.'),
      max_age: duration.prefault('7d').describe('Failed runs older than this are deleted.'),
      screenshot: z.boolean().default(true).describe('Save a screenshot of the page the run failed on.'),
      trace: z.boolean().default(true).describe('Record a Playwright trace of every run and keep it when the run fails (`npx playwright show-trace`).'),
    })
    .prefault({})
    .describe('What a failed run leaves behind for debugging.'),
});
export type BrowserCheck = z.infer<typeof browserCheckSchema>;

/** Navigation Timing of one page, in milliseconds. */
export const navigationPhases = ['dns', 'connect', 'tls', 'ttfb', 'transfer', 'domContentLoaded', 'load'] as const;
/** Web vitals as web-vitals names them: milliseconds, CLS unitless. */
export const webVitalNames = ['LCP', 'FCP', 'TTFB', 'CLS', 'INP'] as const;

const ms = z.number().nonnegative();

/** One request, without query string or fragment, attributed to a vendor and the step it ran in. */
const requestSchema = z.object({
  vendor: z.string(),
  step: z.string().nullable(),
  method: z.string().optional(),
  url: z.string(),
  status: z.number().int().optional(),
  error: z.string().optional(),
  durationMs: ms.optional(),
});

/** What a browser check puts in CheckResult.details. */
export const browserDetailsSchema = z.object({
  script: z.string().describe('File name of the transaction script.'),
  steps: z.array(
    z.object({
      name: z.string(),
      ok: z.boolean(),
      startMs: ms.describe('Since the script started.'),
      durationMs: ms,
      error: z.string().optional(),
      vendors: z.record(z.string(), z.object({ requests: z.number().int(), slowestMs: ms })).describe('Resource Timing entries that started in this step.'),
    }),
  ),
  failedStep: z.string().optional(),
  error: z.string().optional().describe('The error the script failed with (first lines).'),
  vendors: z.record(z.string(), vendorResourcesSchema).describe('Resource Timing of every page, per vendor (config/resourceTiming.ts).'),
  slowest: z.record(z.string(), requestSchema).describe("Each vendor's slowest request."),
  failedRequests: z.array(requestSchema).describe('Network errors and HTTP statuses ≥ 400 (at most 50).'),
  pendingRequests: z.array(requestSchema).describe('Requests still unanswered when the run ended (at most 50).'),
  blockedRequests: z.number().int().nonnegative().describe('Requests aborted by `block` or `allow`.'),
  pages: z.array(
    z.object({
      url: z.string(),
      step: z.string().nullable(),
      navigationMs: z.partialRecord(z.enum(navigationPhases), ms),
      vitals: z.partialRecord(z.enum(webVitalNames), z.number().nonnegative()),
    }),
  ),
  slow: z
    .array(
      z.object({
        kind: z.enum(['total', 'step', 'vendor']),
        name: z.string(),
        durationMs: ms,
        thresholdMs: ms,
        vendor: z.string().optional().describe('The vendor behind it: the slow vendor, or the slowest vendor in the slow step.'),
      }),
    )
    .describe('Thresholds crossed; non-empty means degraded.'),
  artifacts: z.object({ dir: z.string(), screenshot: z.string().optional(), trace: z.string().optional() }).optional(),
});
export type BrowserDetails = z.infer<typeof browserDetailsSchema>;
