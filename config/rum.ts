import { z } from 'zod';
import { regexSchema } from './checks/common.ts';
import { duration } from './duration.ts';
import { nameSchema } from './result.ts';

const origin = z.string().regex(/^\*$|^https?:\/\/[^/?#\s]+$/, {
  message: 'expected an origin like "https://www.example.com" (scheme and host, no path) or "*"',
});

const countryCode = z
  .string()
  .regex(/^[A-Za-z]{2}$/, { message: 'expected a two-letter country code like "DE"' })
  .transform((c) => c.toUpperCase());

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
  regions: z
    .record(nameSchema, z.array(countryCode).min(1))
    .default({})
    .superRefine((regions, ctx) => {
      const regionOf = new Map<string, string>();
      for (const [region, countries] of Object.entries(regions)) {
        if (region === 'other')
          ctx.addIssue({ code: 'custom', path: [region], message: '"other" is where every unmapped page view goes; name the region otherwise' });
        for (const c of countries) {
          const before = regionOf.get(c);
          if (before) ctx.addIssue({ code: 'custom', path: [region], message: `${c} is already in ${before}: a country belongs to one region` });
          regionOf.set(c, region);
        }
      }
    })
    .describe(
      'Probe regions by the countries whose page views count in them (ISO 3166 codes), e.g. { eu-west: [DE, FR, GB] }; page views from elsewhere, or of unknown country, are "other".',
    ),
  country: z
    .strictObject({
      header: z
        .string()
        .regex(/^[A-Za-z0-9-]+$/, { message: 'expected an HTTP header name' })
        .optional()
        .describe(
          "Request header with the visitor's country code, set by your own CDN or load balancer (e.g. CF-IPCountry, CloudFront-Viewer-Country); trusted as is, so only name one that proxy always sets or overwrites.",
        ),
      database: z
        .string()
        .optional()
        .describe(
          'A MaxMind-format country database (.mmdb, e.g. GeoLite2-Country), read once at start, to look up the client address when the header is absent. The address itself is never stored, logged or exported.',
        ),
    })
    .prefault({})
    .describe('How the collector decides a page view\'s country (never the beacon): the header first, then the database; neither: "other".'),
  users_impacted: z
    .strictObject({
      window: duration.prefault('5m').describe('How far back real-user impact is counted.'),
      min_page_views: z
        .number()
        .int()
        .min(1)
        .default(50)
        .describe(
          "Fewest page views that used the vendor in a region within the window before its impact there can raise the vendor's users_impacted condition.",
        ),
      share: z
        .number()
        .gt(0)
        .max(1)
        .default(0.2)
        .describe('Share of those page views with a failed or over-budget resource of the vendor at which users_impacted holds in that region.'),
      budget: duration.prefault('3s').describe('A vendor resource that takes longer than this to load counts against the page view (as a failure does).'),
      severity: z
        .enum(['ticket', 'page'])
        .default('ticket')
        .describe('Alert severity of an incident real users alone see: ticket (VendorImpaired) or page (VendorOutage).'),
    })
    .prefault({})
    .describe("When real users' failures alone are evidence of a vendor problem (the users_impacted condition)."),
});
