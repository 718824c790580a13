/**
 * A small caching CDN edge in pure Node, for the demo (tests use Varnish, the real thing). It
 * sits in front of an origin and keeps one cache per POP, one POP per probe region (the region
 * comes from the probe's User-Agent, the lab's stand-in for geo routing; browsers get POP "lab").
 *
 * Like a CDN it caches GET responses a shared cache may keep (public, max-age or s-maxage; never
 * private, no-store or no-cache), separately per Accept-Encoding, answers concurrent misses with
 * one origin fetch, and serves a stale copy for `graceSeconds` past expiry while it refreshes in
 * the background — so a slow origin shows only on requests that bust the cache.
 *
 * Every answer says what the edge did: `cache-status` (RFC 9211: "edgeco; hit", "edgeco;
 * fwd=miss", "edgeco; hit; ttl=-3" for stale, "edgeco; fwd=uri-miss" for bypass), `age`,
 * `x-edge-pop` and `server-timing: cdn;desc=edgeco` (with Timing-Allow-Origin, so the beacon sees
 * its timings). Faults per probe or region: `faults`.
 */
import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { listen, type LabServer, type LabServerOptions } from './server.ts';
import { askerOf, ProbeFaults } from './probe-faults.ts';

interface CdnEdgeOptions extends LabServerOptions {
  /** The origin's base URL, e.g. http://127.0.0.1:8081 (plain HTTP). */
  origin: string;
  /** The CDN's name in its headers (default "edgeco"). */
  name?: string;
  /** How long past expiry a stale copy is served while it is refreshed (default 60). */
  graceSeconds?: number;
  /** An origin fetch taking longer than this answers 504 (default 5000). */
  originTimeoutMs?: number;
}

export interface CdnEdge extends LabServer {
  /** Faults for some probes or regions: a POP down for a region, one probe's path broken. */
  faults: ProbeFaults;
  /** Empties every POP's cache. */
  purge(): void;
}

interface Stored {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  storedAt: number;
  ttlSeconds: number;
}

/** Headers that describe one connection, not the response (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-connection']);
const CACHEABLE_STATUSES = new Set([200, 203, 301, 404, 410]);
/** Objects kept per edge at most; the oldest go first (cache-busted URLs would grow it forever). */
const MAX_ENTRIES = 1000;

/** Seconds a shared cache may keep a response, or 0 when it must not. */
function sharedTtl(status: number, headers: IncomingHttpHeaders): number {
  if (!CACHEABLE_STATUSES.has(status)) return 0;
  const cc = String(headers['cache-control'] ?? '').toLowerCase();
  if (/\b(private|no-store|no-cache)\b/.test(cc)) return 0;
  const age = /\bs-maxage=(\d+)/.exec(cc) ?? /\bmax-age=(\d+)/.exec(cc);
  return age ? Number(age[1]) : 0;
}

/** The one coding the origin would pick, so the cache keeps one copy per coding (Vary: Accept-Encoding). */
function codingOf(req: IncomingMessage): string {
  const accepted = String(req.headers['accept-encoding'] ?? '');
  return /\bbr\b/.test(accepted) ? 'br' : /\bgzip\b/.test(accepted) ? 'gzip' : 'identity';
}

export async function startCdnEdge(opts: CdnEdgeOptions): Promise<CdnEdge> {
  const name = opts.name ?? 'edgeco';
  const graceMs = (opts.graceSeconds ?? 60) * 1000;
  const originTimeoutMs = opts.originTimeoutMs ?? 5000;
  const origin = new URL(opts.origin);
  const faults = new ProbeFaults();
  const cache = new Map<string, Stored>();
  const inflight = new Map<string, Promise<Stored>>();

  /** One request to the origin, the body read whole (edges buffer small objects too). */
  const fetchOrigin = (req: IncomingMessage): Promise<Stored> =>
    new Promise((resolve, reject) => {
      const headers = { ...req.headers, host: origin.host, via: `1.1 ${name}` };
      const out = request({ host: origin.hostname, port: origin.port, method: req.method, path: req.url, headers, timeout: originTimeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const kept = Object.entries(res.headers).filter(([k]) => !HOP_BY_HOP.has(k));
          resolve({
            status: res.statusCode ?? 502,
            headers: Object.fromEntries(kept.map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v)])),
            body: Buffer.concat(chunks),
            storedAt: Date.now(),
            ttlSeconds: sharedTtl(res.statusCode ?? 0, res.headers),
          });
        });
      });
      out.on('timeout', () => out.destroy(new Error(`origin took longer than ${originTimeoutMs} ms`)));
      out.on('error', reject);
      out.end();
    });

  /** Fetches once per key at a time; stores what may be stored. */
  const refresh = (key: string, req: IncomingMessage): Promise<Stored> => {
    let pending = inflight.get(key);
    if (!pending) {
      pending = fetchOrigin(req)
        .then((stored) => {
          if (stored.ttlSeconds > 0) {
            cache.delete(key);
            cache.set(key, stored);
            if (cache.size > MAX_ENTRIES) cache.delete(cache.keys().next().value!);
          }
          return stored;
        })
        .finally(() => inflight.delete(key));
      inflight.set(key, pending);
    }
    return pending;
  };

  const send = (req: IncomingMessage, res: ServerResponse, pop: string, stored: Stored, cacheStatus: string) => {
    const age = Math.max(0, Math.floor((Date.now() - stored.storedAt) / 1000));
    res.writeHead(stored.status, {
      ...stored.headers,
      age: String(age),
      'cache-status': `${name}; ${cacheStatus}`,
      'x-edge-pop': pop,
      'server-timing': `cdn;desc=${name}, edge;desc=${pop}`,
      // So real users' browsers (the beacon) may read this CDN's timings and sizes.
      'timing-allow-origin': '*',
      'content-length': String(stored.body.length),
    });
    res.end(req.method === 'HEAD' ? undefined : stored.body);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (faults.intercept(req, res, `${name} POP`)) return;
    const pop = askerOf(req)?.region ?? 'lab';
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(req, res, pop, await fetchOrigin(req), 'fwd=method');
    const key = `${pop} ${codingOf(req)} ${req.url}`;
    const stored = cache.get(key);
    const ageMs = stored ? Date.now() - stored.storedAt : 0;
    if (stored && ageMs <= stored.ttlSeconds * 1000) return send(req, res, pop, stored, 'hit');
    if (stored && ageMs <= stored.ttlSeconds * 1000 + graceMs) {
      refresh(key, req).catch(() => {}); // the stale copy keeps serving until a refresh succeeds
      return send(req, res, pop, stored, `hit; ttl=${Math.round(stored.ttlSeconds - ageMs / 1000)}`);
    }
    const fresh = await refresh(key, req);
    send(req, res, pop, fresh, fresh.ttlSeconds > 0 ? 'fwd=miss' : 'fwd=uri-miss');
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: Error) => {
      if (res.headersSent) return void res.destroy();
      res.writeHead(/longer than/.test(err.message) ? 504 : 502, { 'content-type': 'text/plain', 'x-edge-pop': askerOf(req)?.region ?? 'lab' });
      res.end(`${name} could not reach the origin: ${err.message}\n`);
    });
  });
  return { ...(await listen(server, opts, 'http')), faults, purge: () => cache.clear() };
}
