import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from './log.ts';
import { httpConnectionsDropped, registry } from './metrics.ts';

export type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => void | Promise<void>;
/** Keyed by "METHOD /path", e.g. "POST /v1/results". */
export type Routes = Record<string, Handler>;

/** An error with an HTTP status, thrown by handlers and turned into a JSON answer. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A listen address the server cannot use: `badAddress` when it is not HOST:PORT (the user's
 * argument is wrong), `refused` when the system will not let us listen there (port in use, no
 * permission, no such address on this machine).
 */
export class ListenError extends Error {
  constructor(
    readonly kind: 'badAddress' | 'refused',
    message: string,
  ) {
    super(message);
    this.name = 'ListenError';
  }
}

export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:]*)):(\d{1,5})$/.exec(listen);
  const port = Number(m?.[3]);
  if (!m || port > 65535) throw new ListenError('badAddress', `--listen "${listen}": expected HOST:PORT, e.g. 0.0.0.0:9797 or [::1]:9797`);
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

/** What to tell the user when the system refuses a listen address, by error code. */
const REFUSED: Record<string, string> = {
  EADDRINUSE: 'the port is in use by another process (stop it, or choose another address with --listen)',
  EACCES: 'permission denied (ports below 1024 need privileges; choose another with --listen)',
  EADDRNOTAVAIL: 'this machine has no such address (choose one of its own with --listen, or 0.0.0.0)',
};

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Reads a request body, refusing (413) once it passes maxBytes rather than buffering it all. */
export async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (declared > maxBytes) throw new HttpError(413, `body of ${declared} bytes exceeds the ${maxBytes}-byte limit`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw new HttpError(413, `body exceeds the ${maxBytes}-byte limit`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/**
 * What one client may hold of the server. A connection that has not sent its request headers
 * within HEADERS_TIMEOUT_MS, or its whole request within REQUEST_TIMEOUT_MS, is closed (Node
 * checks every CONNECTIONS_CHECK_MS); so is one idle for IDLE_TIMEOUT_MS, or, between requests,
 * KEEP_ALIVE_TIMEOUT_MS. Beyond MAX_CONNECTIONS open at once, new ones are closed on arrival
 * and counted (vendorwatch_http_connections_dropped_total).
 */
export const serverLimits = {
  HEADERS_TIMEOUT_MS: 10_000,
  REQUEST_TIMEOUT_MS: 30_000,
  IDLE_TIMEOUT_MS: 30_000,
  KEEP_ALIVE_TIMEOUT_MS: 5_000,
  CONNECTIONS_CHECK_MS: 1_000,
  MAX_CONNECTIONS: 512,
} as const;

export interface RunningServer {
  server: Server;
  /** "http://127.0.0.1:9797" */
  url: string;
  close(): Promise<void>;
}

/**
 * The route key with `:name` segments (e.g. "GET /v1/incidents/:id/evidence") that matches a
 * request's "METHOD /path", if any; the handler reads the segment from the URL itself.
 */
function routeWithParams(keys: readonly string[], request: string): string | undefined {
  const parts = request.split('/');
  return keys.find((k) => {
    if (!k.includes('/:')) return false;
    const pattern = k.split('/');
    return pattern.length === parts.length && pattern.every((p, i) => (p.startsWith(':') ? parts[i] !== '' : p === parts[i]));
  });
}

/** The agent's HTTP server: /metrics, /healthz and whatever routes the collector adds. */
export async function startServer(opts: { listen: string; routes?: Routes; logger: Logger }): Promise<RunningServer> {
  const routes: Routes = {
    'GET /metrics': async (_req, res) => {
      const body = await registry.metrics();
      res.writeHead(200, { 'content-type': registry.contentType });
      res.end(body);
    },
    'GET /healthz': (_req, res) => sendJson(res, 200, { status: 'ok' }),
    ...opts.routes,
  };

  const server = createServer({ connectionsCheckingInterval: serverLimits.CONNECTIONS_CHECK_MS }, async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const handler = routes[`${req.method} ${url.pathname}`] ?? routes[routeWithParams(Object.keys(routes), `${req.method} ${url.pathname}`) ?? ''];
    try {
      if (!handler) {
        const allowed = Object.keys(routes).filter((k) => k.endsWith(` ${url.pathname}`) || routeWithParams([k], `${k.split(' ')[0]} ${url.pathname}`));
        throw allowed.length ? new HttpError(405, 'method not allowed') : new HttpError(404, 'not found');
      }
      await handler(req, res, url);
    } catch (err) {
      const status = err instanceof HttpError ? err.status : 500;
      if (status === 500) opts.logger.error({ err, path: url.pathname }, 'request failed');
      if (res.headersSent) return void res.destroy();
      // A body left unread (refused before or while reading it) is not read to the end: say so, and hang up after the answer.
      if (!req.complete) res.setHeader('connection', 'close');
      sendJson(res, status, { error: (err as Error).message });
    }
  });
  server.headersTimeout = serverLimits.HEADERS_TIMEOUT_MS;
  server.requestTimeout = serverLimits.REQUEST_TIMEOUT_MS;
  server.keepAliveTimeout = serverLimits.KEEP_ALIVE_TIMEOUT_MS;
  server.setTimeout(serverLimits.IDLE_TIMEOUT_MS);
  server.maxConnections = serverLimits.MAX_CONNECTIONS;
  server.on('drop', () => httpConnectionsDropped.inc());

  const { host, port } = parseListen(opts.listen);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const why = REFUSED[err.code ?? ''];
      reject(why ? new ListenError('refused', `cannot listen on ${opts.listen}: ${why}`) : err);
    });
    server.listen(port, host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  opts.logger.debug({ listen: `${shownHost}:${addr.port}` }, 'http server listening');
  return {
    server,
    url: `http://${shownHost === '0.0.0.0' ? '127.0.0.1' : shownHost === '[::]' ? '[::1]' : shownHost}:${addr.port}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
