import { z } from 'zod';
import { duration } from '../duration.ts';
import { nameSchema, phaseSchema, reasonSchema } from '../terms.ts';
import { commonCheckFields, hostPatternSchema, regexSchema } from './common.ts';

/** Edge cache status, normalised across vendors (Cache-Status, X-Cache, CF-Cache-Status, X-Varnish, Age ...). */
const cacheStatuses = ['hit', 'miss', 'stale', 'bypass', 'unknown'] as const;
export type CacheStatus = (typeof cacheStatuses)[number];
const httpProtocols = ['http/1.1', 'h2'] as const;
export type HttpProtocol = (typeof httpProtocols)[number];
const tlsVersions = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as const;
const contentCodings = ['br', 'gzip', 'deflate'] as const;

/** One value or a list of them; always a list after parsing. A mistake is explained by the form that was written. */
const oneOrMany = <T extends z.ZodType>(item: T) =>
  z
    .union([item, z.array(item).min(1)], {
      error: (issue) => {
        const { errors } = issue as { errors?: { message: string }[][] };
        return errors?.[Array.isArray(issue.input) ? 1 : 0]?.[0]?.message.replace(/^Invalid (input|option): /, '');
      },
    })
    .transform((v) => (Array.isArray(v) ? v : [v]) as z.output<T>[]);

const status = z.union([
  z.number().int().min(100).max(599),
  z.string().regex(/^[1-5]\d\d-[1-5]\d\d$/, { message: 'expected a status like 200 or a range like "200-299"' }),
]);

/** "host", "host:port", "192.0.2.1:8443", "2001:db8::1" or "[2001:db8::1]:443", parsed to host and optional port. */
const hostPort = z
  .string()
  .regex(/^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(:\d{1,5})?$|^[0-9a-f:.]+$/i, { message: 'expected a host, an IP address, or either with :port' })
  .transform((s) => {
    const bracketed = /^\[(.+)\](?::(\d+))?$/.exec(s);
    if (bracketed) return { host: bracketed[1]!, port: bracketed[2] ? Number(bracketed[2]) : undefined };
    if (s.split(':').length > 2) return { host: s, port: undefined }; // a bare IPv6 address
    const [host, port] = s.split(':');
    return { host: host!, port: port ? Number(port) : undefined };
  });

const headerExpectation = z
  .strictObject({
    name: z.string().min(1).describe('Response header name (case-insensitive).'),
    absent: z.boolean().default(false).describe('The header must not be there.'),
    matches: regexSchema.optional().describe('A regular expression the header value must match.'),
  })
  .refine((h) => !(h.absent && h.matches), { message: '`absent` and `matches` exclude each other' })
  .describe('With only `name`, the header must be present.');

const jsonExpectation = z
  .strictObject({
    path: z
      .string()
      .regex(/^(\$\.?)?[^.[\]]+(\[\d+\])*(\.[^.[\]]+(\[\d+\])*)*$|^\$$/, { message: 'expected a path like "page.updated_at" or "$.items[0].id"' })
      .describe('Where in the JSON body: dot-separated keys and [index], optionally starting with "$.".'),
    equals: z.unknown().optional().describe('The value there must equal this (any JSON value).'),
    matches: regexSchema.optional().describe('The value there, as text, must match this regular expression.'),
    not_older_than: duration
      .optional()
      .describe('The value there is a timestamp (ISO 8601, or Unix seconds or milliseconds) no older than this: catches a stale reporting API.'),
  })
  .describe('With only `path`, the value must exist.');

const latency = z
  .strictObject({
    dns: duration.optional().describe('A DNS lookup slower than this marks the run degraded.'),
    connect: duration.optional().describe('A TCP connect slower than this marks the run degraded.'),
    tls: duration.optional().describe('A TLS handshake slower than this marks the run degraded.'),
    ttfb: duration.optional().describe('Request sent to response headers slower than this marks the run degraded.'),
    transfer: duration.optional().describe('A body transfer slower than this marks the run degraded.'),
    total: duration.optional().describe('A whole request (redirects included) slower than this marks the run degraded.'),
  })
  .describe('Per-phase thresholds; crossing one marks the run degraded, not failed.');

export const httpExpectSchema = z.strictObject({
  status: oneOrMany(status).default(['200-399']).describe('Accepted final statuses (after redirects): a status like 200 or a range like "200-299".'),
  headers: z.array(headerExpectation).default([]).describe('Response headers that must be present, absent or match.'),
  body: z
    .strictObject({
      matches: regexSchema.optional().describe('The (decoded) body must match this regular expression.'),
      not_matches: regexSchema.optional().describe('The (decoded) body must not match this regular expression.'),
    })
    .optional()
    .describe('Regular expressions on the body, after Content-Encoding is decoded (up to `max_body_bytes`).'),
  json: z.array(jsonExpectation).prefault([]).describe('Assertions on values in a JSON body.'),
  size: z
    .strictObject({
      min: z.number().int().nonnegative().optional().describe('Fewest bytes.'),
      max: z.number().int().nonnegative().optional().describe('Most bytes.'),
    })
    .optional()
    .describe('Bounds on the body size in bytes as transferred (before decoding Content-Encoding).'),
  protocol: z.enum(httpProtocols).optional().describe('The HTTP version negotiated by ALPN.'),
  tls_version: oneOrMany(z.enum(tlsVersions)).optional().describe('Accepted TLS versions.'),
  cert_min_days: z.number().nonnegative().optional().describe('The certificate chain must stay valid at least this many days.'),
  content_encoding: oneOrMany(z.enum([...contentCodings, 'identity']))
    .optional()
    .describe('Accepted Content-Encoding of the response.'),
  cache: oneOrMany(z.enum(cacheStatuses)).optional().describe('Accepted normalised edge cache status.'),
  cacheable: z.boolean().optional().describe('Whether a shared cache may serve the response without asking the origin.'),
  ttl: z
    .strictObject({
      min: duration.optional().describe('Shortest freshness lifetime accepted.'),
      max: duration.optional().describe('Longest freshness lifetime accepted.'),
    })
    .optional()
    .describe('Bounds on the freshness lifetime a shared cache gives the response (s-maxage, max-age or Expires).'),
  latency: latency.optional(),
});
export type HttpExpect = z.infer<typeof httpExpectSchema>;

const method = z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const acceptEncoding = oneOrMany(z.enum(contentCodings)).optional().describe('Ask for these content codings (sets Accept-Encoding).');

const profileSchema = z.strictObject({
  name: nameSchema.describe('Profile name, e.g. images, scripts, styles, api, negative.'),
  url: z.string().min(1).describe('Absolute URL, or a path resolved against the check URL.'),
  method: method.optional().describe("Default: the check's method."),
  headers: z.record(z.string(), z.string()).default({}).describe("Extra request headers, on top of the check's."),
  accept_encoding: acceptEncoding,
  bust: z.boolean().default(false).describe('Add a unique query parameter so the request reaches the origin.'),
  expect: httpExpectSchema.prefault({}).describe("What this profile's response must look like: the same expectations as the check's `expect`."),
});

/** Where a child asset was found: the HTML element or CSS construct that references it. */
const assetSources = ['script', 'stylesheet', 'image', 'srcset', 'preload', 'modulepreload', 'icon', 'style', 'css-url', 'css-import'] as const;
export type AssetSource = (typeof assetSources)[number];

/** Bytes of HTML and CSS read for child assets per run unless `assets.max_parse_bytes` says otherwise. */
export const ASSET_PARSE_BYTES = 2 * 1024 * 1024;

const assetsSchema = z
  .union([
    z.boolean(),
    z.strictObject({
      max: z.number().int().min(1).max(100).default(20).describe('Fetch at most this many child assets.'),
      max_parse_bytes: z
        .number()
        .int()
        .positive()
        .max(64 * 1024 * 1024)
        .default(ASSET_PARSE_BYTES)
        .describe(
          'Read at most this many bytes of HTML and CSS per run looking for child assets (the page first, then its stylesheets); what lies beyond is reported in details.assets.unparsed, not read.',
        ),
      hosts: z
        .union([z.literal('any'), z.array(hostPatternSchema).min(1)])
        .optional()
        .describe("Hosts whose assets are fetched; default: the page's host and the vendor's hosts."),
    }),
  ])
  .default(false)
  .describe(
    'Fetch what the HTML page makes a browser fetch (scripts, stylesheets, images and srcset candidates, preloads, icons; url() and @import of its stylesheets) and fail if any of it fails.',
  );

const popHeader = z.strictObject({
  header: z.string().min(1).describe('Response header that names the edge location.'),
  pattern: regexSchema.optional().describe('Regular expression whose first group (or whole match) is the POP; default: the whole value.'),
});

export const httpCheckSchema = z
  .strictObject({
    ...commonCheckFields,
    kind: z.literal('http').describe('An HTTP(S) request: CDN delivery, vendor APIs, reporting APIs.'),
    url: z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' }).describe('The http:// or https:// URL to request.'),
    method: method.default('GET').describe('Request method.'),
    headers: z.record(z.string(), z.string()).default({}).describe('Request headers (a user-agent naming the probe is sent unless set here).'),
    body: z.string().optional().describe('Request body.'),
    accept_encoding: acceptEncoding,
    follow_redirects: z.number().int().min(0).max(20).default(5).describe('Redirects followed at most; 0 reports the redirect itself.'),
    max_body_bytes: z
      .number()
      .int()
      .positive()
      .default(10 * 1024 * 1024)
      .describe('Body bytes kept for body and JSON assertions; the rest is read and counted but not kept.'),
    http2: z.boolean().default(true).describe('Offer h2 by ALPN (like a browser); false offers only http/1.1.'),
    reuse_connection: z
      .boolean()
      .default(false)
      .describe('Keep the connection between runs (measures warm requests; dns, connect and tls then appear only on reconnects).'),
    tls: z
      .strictObject({
        ca_file: z.string().optional().describe('PEM file of the CAs to trust instead of the system store (relative to the config file).'),
        insecure: z.boolean().default(false).describe('Do not verify the certificate (it is still reported).'),
        server_name: z.string().optional().describe("SNI and certificate name to use instead of the URL's host."),
      })
      .prefault({})
      .describe('How https:// URLs are verified.'),
    connect_to: hostPort
      .optional()
      .describe("Connect to this edge host or IP (optionally :port) instead of the URL's host, still sending the URL's Host and SNI."),
    every_address: z
      .boolean()
      .default(false)
      .describe('Request the URL once from every address the host (or `connect_to`) resolves to, and fail if any fails.'),
    resolver: hostPort.optional().describe('Resolve names through this DNS server (IP, optionally :port) instead of the system resolver.'),
    bust: z.boolean().default(false).describe('Add a unique query parameter so the request misses the edge cache and reaches the origin.'),
    pair: z.boolean().default(false).describe('Also send a cache-busted request each run, so a failure says whether the edge or the origin path broke.'),
    cache_headers: z
      .array(z.string().min(1))
      .default([])
      .describe('Extra response headers that carry a cache status (HIT, MISS ...), read before the well-known ones.'),
    pop_headers: z.array(popHeader).default([]).describe('Extra response headers that name the edge location (POP), read before the well-known ones.'),
    assets: assetsSchema,
    profiles: z.array(profileSchema).max(20).prefault([]).describe('Further URLs with their own expectations, checked in the same run.'),
    expect: httpExpectSchema
      .prefault({})
      .describe(
        'What the response must look like; each expectation becomes an assertion in the result. A wrong status fails the run (reason http_status), any other miss too (assertion); a latency threshold only marks it degraded.',
      ),
  })
  .superRefine((check, ctx) => {
    if (check.bust && check.pair) ctx.addIssue({ code: 'custom', path: ['pair'], message: '`pair` already sends a busted request; drop `bust`' });
    const seen = new Set<string>();
    check.profiles.forEach((p, i) => {
      if (seen.has(p.name)) ctx.addIssue({ code: 'custom', path: ['profiles', i, 'name'], message: `duplicate profile "${p.name}"` });
      seen.add(p.name);
      if (!URL.canParse(p.url, check.url)) ctx.addIssue({ code: 'custom', path: ['profiles', i, 'url'], message: 'expected a URL or a path' });
    });
  });
export type HttpCheck = z.infer<typeof httpCheckSchema>;
export type HttpProfile = HttpCheck['profiles'][number];

// --- What an http check reports in CheckResult.details (for the check URL; the same per busted
// request, profile, address and asset). Metrics and the collector read it through these schemas.

const tlsDetailsSchema = z.object({
  version: z.string().nullable(),
  cipher: z.string(),
  authorized: z.boolean(),
  authorization_error: z.string().optional(),
  /** The earliest-expiring certificate of the chain the server presented. */
  cert: z.object({ subject: z.string(), issuer: z.string(), not_after: z.string(), days_left: z.number() }).optional(),
});
export type TlsDetails = z.infer<typeof tlsDetailsSchema>;

const cacheReadingSchema = z.object({
  cache: z.enum(cacheStatuses),
  /** The header the status was read from. */
  cache_source: z.string().optional(),
});
export type CacheReading = z.infer<typeof cacheReadingSchema>;

const cacheabilitySchema = z.object({
  /** A shared cache may serve the response without asking the origin. */
  cacheable: z.boolean(),
  /** Freshness lifetime for a shared cache; null when the response sets none (heuristic caching). */
  ttl_seconds: z.number().nullable(),
  /** The Age header: seconds the response has spent in caches. */
  age_seconds: z.number().optional(),
});
export type Cacheability = z.infer<typeof cacheabilitySchema>;

const edgeIdentitySchema = z.object({
  /** A vendor name from the registry, a well-known CDN, or "unknown". */
  cdn: z.string(),
  pop: z.string().optional(),
});
export type EdgeIdentity = z.infer<typeof edgeIdentitySchema>;

const hopSchema = z.object({
  url: z.string(),
  status: z.number().optional(),
  address: z.string().optional(),
  protocol: z.enum(httpProtocols).optional(),
  reused_connection: z.boolean(),
  phases: z.partialRecord(phaseSchema, z.number()),
});
export type Hop = z.infer<typeof hopSchema>;

/** What an http check reports of one request: the check URL, or a busted, profile, address or asset request. */
const httpRequestDetailsSchema = z.object({
  /** The last URL requested (after redirects). */
  url: z.string(),
  status: z.number().optional(),
  protocol: z.enum(httpProtocols).optional(),
  address: z.string().optional(),
  reused_connection: z.boolean().optional(),
  tls: tlsDetailsSchema.optional(),
  /** Body bytes as transferred. */
  bytes: z.number().optional(),
  content_type: z.string().optional(),
  content_encoding: z.string().optional(),
  ...cacheReadingSchema.partial().shape,
  ...cacheabilitySchema.partial().shape,
  edge: edgeIdentitySchema.optional(),
  /** Every hop with its own timing, when the request was redirected. */
  hops: z.array(hopSchema).optional(),
});
export type HttpRequestDetails = z.infer<typeof httpRequestDetailsSchema>;

/** A further request of the run: its verdict, its details and its total time in seconds. */
const httpRequestSummarySchema = httpRequestDetailsSchema.extend({
  ok: z.boolean(),
  reason: reasonSchema,
  message: z.string().optional(),
  total: z.number().optional(),
});
export type HttpRequestSummary = z.infer<typeof httpRequestSummarySchema>;

/** What an http check puts in CheckResult.details: the check URL's request, then the run's other requests. */
export const httpDetailsSchema = httpRequestDetailsSchema.extend({
  /** With `every_address`: the check URL requested from each address. */
  addresses: z.array(httpRequestSummarySchema.extend({ address: z.string() })).optional(),
  /** With `pair`: the cache-busted twin. */
  busted: httpRequestSummarySchema.optional(),
  /** Each content profile, by name. */
  profiles: z.record(z.string(), httpRequestSummarySchema).optional(),
  /** With `assets`: what the page references, and each asset fetched. */
  assets: z
    .object({
      found: z.number().int(),
      /** On hosts the check does not fetch from. */
      other_hosts: z.number().int(),
      /** Beyond `assets.max`. */
      over_max: z.number().int(),
      /** Documents (the page, stylesheets) read only in part, or not at all, because of `assets.max_parse_bytes` or `max_body_bytes`. */
      unparsed: z.array(z.object({ url: z.string(), unparsed_bytes: z.number().int().nonnegative().optional() })).optional(),
      checked: z.array(
        z.object({
          url: z.string(),
          source: z.enum(assetSources).optional(),
          ok: z.boolean(),
          reason: reasonSchema,
          status: z.number().optional(),
          total: z.number().optional(),
        }),
      ),
    })
    .optional(),
});
export type HttpDetails = z.infer<typeof httpDetailsSchema>;
