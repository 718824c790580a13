/**
 * A small CDN origin for the lab and the tests: cacheable and uncacheable objects, a 404, gzip
 * and brotli by Accept-Encoding, a JSON status API with a fresh (or stale) timestamp, and HTML
 * pages with child assets. Over TLS it speaks h2 and http/1.1 (or only http/1.1).
 *
 *   /                      HTML page: /static/app.js, /static/style.css, /static/logo.png
 *   /broken.html           HTML page whose script /static/missing.js is a 404
 *   /static/app.js         cacheable 5 min, compressible, ETag and Last-Modified
 *   /static/style.css      cacheable 5 min, compressible
 *   /static/logo.png       cacheable 1 day, immutable, never compressed
 *   /uncacheable           Cache-Control: private, no-store
 *   /api/status.json       JSON with updated_at = now (no-cache)
 *   /api/stale.json        JSON with updated_at an hour ago
 *   anything else          404, cacheable 10 s
 *
 * setDelay(ms) holds every answer back that long: a slow origin (the demo switches it).
 */
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createSecureServer, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { listen, type LabServer, type LabServerOptions } from './server.ts';

interface CdnOriginOptions extends LabServerOptions {
  /** Serve HTTPS with this key and certificate (PEM). */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** With tls: offer h2 as well as http/1.1 (default true). */
  http2?: boolean;
  /** Sent as X-Origin, to tell origins apart. */
  name?: string;
}

export interface CdnOrigin extends LabServer {
  /** Paths (with query) of every request received, in order: shows what reached the origin. */
  requests: string[];
  /** Answer every request this many ms late from now on (0: at once). */
  setDelay(ms: number): void;
}

const LAST_MODIFIED = new Date('2026-01-01T00:00:00Z').toUTCString();
// A 1×1 transparent PNG.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');
const APP_JS = `/* lab app */\n${'console.log("vendorwatch lab asset");\n'.repeat(40)}`;
const STYLE_CSS = `/* lab styles */\n${'body { margin: 0; font-family: sans-serif; }\n'.repeat(40)}`;
const page = (script: string) => `<!doctype html>
<html><head><title>lab shop</title>
<link rel="stylesheet" href="/static/style.css">
<script src="${script}" defer></script>
</head><body><h1>lab shop</h1><img src="/static/logo.png" alt="logo"></body></html>
`;

interface Entry {
  type: string;
  cacheControl: string;
  body: () => string | Buffer;
  status?: number;
  compressible?: boolean;
  validators?: boolean;
}

const ROUTES: Record<string, Entry> = {
  '/': { type: 'text/html; charset=utf-8', cacheControl: 'public, max-age=60', body: () => page('/static/app.js'), compressible: true },
  '/broken.html': { type: 'text/html; charset=utf-8', cacheControl: 'public, max-age=60', body: () => page('/static/missing.js'), compressible: true },
  '/static/app.js': { type: 'application/javascript', cacheControl: 'public, max-age=300', body: () => APP_JS, compressible: true, validators: true },
  '/static/style.css': { type: 'text/css', cacheControl: 'public, max-age=300', body: () => STYLE_CSS, compressible: true, validators: true },
  '/static/logo.png': { type: 'image/png', cacheControl: 'public, max-age=86400, immutable', body: () => PNG, validators: true },
  '/uncacheable': { type: 'text/plain', cacheControl: 'private, no-store', body: () => `generated ${Date.now()}\n` },
  '/api/status.json': {
    type: 'application/json',
    cacheControl: 'no-cache',
    body: () => JSON.stringify({ status: { indicator: 'none' }, updated_at: new Date().toISOString() }),
    compressible: true,
  },
  '/api/stale.json': {
    type: 'application/json',
    cacheControl: 'no-cache',
    body: () => JSON.stringify({ status: { indicator: 'none' }, updated_at: new Date(Date.now() - 3_600_000).toISOString() }),
    compressible: true,
  },
};
const NOT_FOUND: Entry = { type: 'text/plain', cacheControl: 'public, max-age=10', body: () => 'not found\n', status: 404 };

type Req = IncomingMessage | Http2ServerRequest;
type Res = ServerResponse | Http2ServerResponse;

export async function startCdnOrigin(opts: CdnOriginOptions = {}): Promise<CdnOrigin> {
  const requests: string[] = [];
  let delayMs = 0;
  const setDelay = (ms: number) => {
    delayMs = ms;
  };
  const handle = (req: Req, res: Res) => {
    requests.push(req.url ?? '/');
    if (delayMs > 0) return void setTimeout(() => answer(req, res), delayMs);
    answer(req, res);
  };
  const answer = (req: Req, res: Res) => {
    const path = new URL(req.url ?? '/', 'http://origin').pathname;
    const entry = ROUTES[path] ?? NOT_FOUND;
    let body = entry.body();
    const headers: Record<string, string> = {
      'content-type': entry.type,
      'cache-control': entry.cacheControl,
      'x-origin': opts.name ?? 'lab-origin',
    };
    if (entry.validators) Object.assign(headers, { etag: `"${Buffer.byteLength(body)}-lab"`, 'last-modified': LAST_MODIFIED });
    if (entry.compressible) {
      headers.vary = 'Accept-Encoding';
      const accepted = String(req.headers['accept-encoding'] ?? '');
      if (/\bbr\b/.test(accepted)) [body, headers['content-encoding']] = [brotliCompressSync(body), 'br'];
      else if (/\bgzip\b/.test(accepted)) [body, headers['content-encoding']] = [gzipSync(body), 'gzip'];
    }
    headers['content-length'] = String(Buffer.byteLength(body));
    res.writeHead(entry.status ?? 200, headers);
    if (req.method === 'HEAD') res.end();
    else res.end(body);
  };

  if (!opts.tls) return { ...(await listen(createHttpServer(handle), opts, 'http')), requests, setDelay };
  const server = opts.http2 === false ? createHttpsServer(opts.tls, handle) : createSecureServer({ ...opts.tls, allowHTTP1: true }, handle);
  return { ...(await listen(server, opts, 'https')), requests, setDelay };
}
