import { z } from 'zod';
import { regexSchema } from './checks/common.ts';
import { nameSchema } from './result.ts';

const origin = z.string().regex(/^\*$|^https?:\/\/[^/?#\s]+$/, {
  message: 'expected an origin like "https://www.example.com" (scheme and host, no path) or "*"',
});

/** Real-user monitoring: what the beacon is told to do, and what the collector accepts. */
export const rumSchema = z.strictObject({
  origins: z
    .array(origin)
    .default([])
    .describe('Site origins allowed to send beacons (CORS allowlist), e.g. "https://www.example.com"; "*" allows any. Empty: beacons are refused.'),
  page_groups: z
    .array(
      z.strictObject({
        name: nameSchema.describe('The page_group label.'),
        match: regexSchema.min(1).describe('Regex on the page path (no query string); the first group that matches wins.'),
      }),
    )
    .default([])
    .describe('Page groups, matched in the browser so paths never leave the page; unmatched pages are "other".'),
  sample_rate: z.number().min(0).max(1).default(1).describe('Share of page loads that send beacons (0 to 1).'),
  require_consent: z.boolean().default(false).describe('Send nothing until the page calls vendorwatch.consent(true); measurements wait in memory until then.'),
  respect_do_not_track: z.boolean().default(true).describe('Send nothing from browsers that signal Do-Not-Track or Global Privacy Control.'),
  max_body_bytes: z
    .number()
    .int()
    .min(1024)
    .max(1_048_576)
    .default(65_536)
    .describe('Largest beacon accepted, compressed and decompressed (browsers cap keepalive bodies at 64 KiB).'),
  rate_limit: z.number().int().min(1).default(120).describe('Beacons accepted per client per minute; more are answered 429.'),
  trust_forwarded_for: z
    .boolean()
    .default(false)
    .describe('Tell clients apart by the first X-Forwarded-For address (only behind a proxy you run that sets it).'),
});
