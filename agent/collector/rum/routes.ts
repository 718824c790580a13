/**
 * The collector side of real-user monitoring, mounted on the collector's HTTP server:
 *   POST /v1/beacon         one page view's beacon: text/plain or JSON, gzipped or not
 *   GET  /v1/beacon/config  vendor host patterns, page groups and privacy switches for pages
 *   GET  /beacon.js         the script-tag build (beacon/dist, made by `npm run build:beacon`)
 *
 * A beacon is checked cheapest first (origin, rate, content type, size, gzip, JSON, schema, seen
 * before) and every refusal is answered 4xx with its reason and counted in
 * vendorwatch_rum_beacons_total. No IP address is stored: the rate limit keys on a keyed hash of
 * it, with a secret that lives and dies with the process, and the page view's region (region.ts)
 * is looked up from it, or from a header, and only the region is kept.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzip, gzipSync } from 'node:zlib';
import { z } from 'zod';
import { beaconConfig, beaconSchema, type Beacon } from '../../../config/beacon.ts';
import type { Config } from '../../../config/schema.ts';
import type { Logger } from '../../log.ts';
import { rumBeacons } from './metrics.ts';
import { HttpError, readBody, sendJson, type Routes } from '../../server.ts';
import { beaconRecorder } from './aggregate.ts';
import type { RumHours } from './hourly.ts';
import type { RealUserImpact } from './impact.ts';
import { regionResolver } from './region.ts';

const rejectionReasons = ['origin', 'rate_limited', 'content_type', 'too_large', 'malformed', 'invalid', 'duplicate'] as const;
type RejectionReason = (typeof rejectionReasons)[number];

class Rejected extends Error {
  constructor(
    readonly reason: RejectionReason,
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const gunzipAsync = promisify(gunzip);

/** The beacon schema compiled to one generated function (zod's z.compile): a fraction of the runtime parser's cost, the same answers and errors. */
const validBeacon = z.compile(beaconSchema);

/**
 * Beacons per client in fixed one-minute windows. Clients are told apart by an HMAC of their
 * address under a per-process random key, so the table holds no address; past `maxClients`
 * newcomers share one bucket, so a flood of addresses cannot grow it.
 */
export class ClientRateLimit {
  private readonly key = randomBytes(32);
  private counts = new Map<string, number>();
  private windowStart = 0;

  constructor(
    private readonly perMinute: number,
    private readonly maxClients = 100_000,
  ) {}

  allow(address: string, now = Date.now()): boolean {
    if (now - this.windowStart >= 60_000) {
      this.counts.clear();
      this.windowStart = now;
    }
    let client = createHmac('sha256', this.key).update(address).digest('base64url');
    if (!this.counts.has(client) && this.counts.size >= this.maxClients) client = 'newcomers';
    const n = (this.counts.get(client) ?? 0) + 1;
    this.counts.set(client, n);
    return n <= this.perMinute;
  }
}

/** Page views (navigation id and number) seen in the last 10 to 20 minutes, so a resent beacon counts once. */
export class RecentPageViews {
  private current = new Set<string>();
  private previous = new Set<string>();
  private rotatedAt = 0;

  constructor(
    private readonly keepMs = 600_000,
    private readonly maxPerGeneration = 200_000,
  ) {}

  /** False when the page view was seen before. */
  add(id: string, now = Date.now()): boolean {
    if (now - this.rotatedAt >= this.keepMs || this.current.size >= this.maxPerGeneration) {
      this.previous = this.current;
      this.current = new Set();
      this.rotatedAt = now;
    }
    if (this.current.has(id) || this.previous.has(id)) return false;
    this.current.add(id);
    return true;
  }
}

export function beaconRoutes(config: Config, logger: Logger, opts: { script?: string; rumHours?: RumHours; impact?: RealUserImpact } = {}): Routes {
  const rum = config.rum;
  const record = beaconRecorder(config);
  const regions = regionResolver(rum);
  const limit = new ClientRateLimit(rum.rate_limit);
  const seen = new RecentPageViews();
  const configBody = JSON.stringify(beaconConfig(config));
  // The bundle's build output, read as a file: the collector imports nothing from beacon/.
  const scriptFile = opts.script ?? join(import.meta.dirname, '../../../beacon/dist/beacon.js');
  let script: { mtimeMs: number; raw: Buffer; gzipped: Buffer } | undefined;

  // Every series exists from the start, so a dashboard shows 0 rather than nothing.
  rumBeacons.inc({ result: 'accepted', reason: 'ok' }, 0);
  for (const reason of rejectionReasons) rumBeacons.inc({ result: 'rejected', reason }, 0);

  const allowedOrigin = (req: IncomingMessage) => {
    const origin = req.headers.origin;
    return origin && (rum.origins.includes('*') || rum.origins.includes(origin)) ? origin : undefined;
  };
  const cors = (req: IncomingMessage, res: ServerResponse) => {
    const origin = allowedOrigin(req);
    if (origin) res.setHeader('access-control-allow-origin', origin);
    res.setHeader('vary', 'Origin');
  };
  const clientAddress = (req: IncomingMessage) =>
    (rum.trust_forwarded_for &&
      String(req.headers['x-forwarded-for'] ?? '')
        .split(',')[0]!
        .trim()) ||
    req.socket.remoteAddress ||
    '';

  async function accept(req: IncomingMessage): Promise<Beacon> {
    if (!allowedOrigin(req)) throw new Rejected('origin', 403, 'origin not allowed (rum.origins)');
    if (!limit.allow(clientAddress(req))) throw new Rejected('rate_limited', 429, `more than ${rum.rate_limit} beacons a minute`);
    const type = String(req.headers['content-type'] ?? '')
      .split(';')[0]!
      .trim()
      .toLowerCase();
    if (type !== 'text/plain' && type !== 'application/json') throw new Rejected('content_type', 415, 'expected text/plain or application/json');
    let body: Buffer;
    try {
      body = await readBody(req, rum.max_body_bytes);
    } catch (err) {
      if (err instanceof HttpError && err.status === 413) throw new Rejected('too_large', 413, err.message);
      throw err;
    }
    if (body[0] === 0x1f && body[1] === 0x8b) {
      try {
        body = await gunzipAsync(body, { maxOutputLength: rum.max_body_bytes });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
          throw new Rejected('too_large', 413, `decompressed body exceeds the ${rum.max_body_bytes}-byte limit`);
        }
        throw new Rejected('malformed', 400, 'body is not valid gzip');
      }
    }
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch {
      throw new Rejected('malformed', 400, 'body is not JSON');
    }
    const parsed = validBeacon.safeParse(json);
    if (!parsed.success) throw new Rejected('invalid', 400, z.prettifyError(parsed.error).slice(0, 500));
    if (!seen.add(`${parsed.data.nav}:${parsed.data.seq}`)) throw new Rejected('duplicate', 409, 'page view already received');
    return parsed.data;
  }

  return {
    'POST /v1/beacon': async (req, res) => {
      cors(req, res);
      let beacon: Beacon;
      try {
        beacon = await accept(req);
      } catch (err) {
        if (!(err instanceof Rejected)) throw err;
        rumBeacons.inc({ result: 'rejected', reason: err.reason });
        logger.debug({ reason: err.reason, message: err.message }, 'beacon rejected');
        if (err.reason === 'rate_limited') res.setHeader('retry-after', '60');
        // A client still sending would see a reset rather than the answer: take in the rest of
        // the body first, unless there is too much of it, then hang up once the answer is out.
        const cut =
          !req.complete &&
          (await readBody(req, rum.max_body_bytes).then(
            () => false,
            () => true,
          ));
        if (cut) res.setHeader('connection', 'close');
        sendJson(res, err.status, { error: err.message, reason: err.reason });
        return;
      }
      const region = regions.regionOf(req.headers, clientAddress(req));
      record(beacon, region);
      opts.impact?.record(beacon, region);
      opts.rumHours?.add(beacon);
      rumBeacons.inc({ result: 'accepted', reason: 'ok' });
      res.writeHead(204).end();
    },

    // The beacon never sends a preflight; this answers clients that do.
    'OPTIONS /v1/beacon': (req, res) => {
      if (!allowedOrigin(req)) throw new HttpError(403, 'origin not allowed (rum.origins)');
      cors(req, res);
      res.writeHead(204, { 'access-control-allow-methods': 'POST', 'access-control-allow-headers': 'content-type', 'access-control-max-age': '86400' });
      res.end();
    },

    'GET /v1/beacon/config': (req, res) => {
      cors(req, res);
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'public, max-age=300' });
      res.end(configBody);
    },

    'GET /beacon.js': async (req, res) => {
      const { mtimeMs } = await stat(scriptFile).catch(() => {
        throw new HttpError(404, 'beacon.js is not built; run `npm run build:beacon`');
      });
      if (script?.mtimeMs !== mtimeMs) {
        const raw = await readFile(scriptFile);
        script = { mtimeMs, raw, gzipped: gzipSync(raw, { level: 9 }) };
      }
      const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
      const body = gzip ? script.gzipped : script.raw;
      res.writeHead(200, {
        'content-type': 'text/javascript; charset=utf-8',
        'content-length': body.length,
        'cache-control': 'public, max-age=3600',
        'cross-origin-resource-policy': 'cross-origin',
        vary: 'Accept-Encoding',
        ...(gzip && { 'content-encoding': 'gzip' }),
      });
      res.end(body);
    },
  };
}
