/**
 * One HTTP exchange: a request, the redirects it leads to, and the body, each hop timed phase by
 * phase on a TimedAgent. It never throws: a failure comes back with its reason, a one-line
 * message, and the phases completed before it.
 */
import { constants, brotliDecompressSync, gunzipSync, inflateRawSync, inflateSync } from 'node:zlib';
import { request } from 'undici';
import type { Hop } from '../../../../config/checks/http.ts';
import type { Phase, Reason } from '../../../../config/result.ts';
import type { Connection, ConnectPhase, TimedAgent } from './connection.ts';

export type Phases = Partial<Record<Phase, number>>;
type FailureReason = Exclude<Reason, 'ok'>;
export interface Failure {
  reason: FailureReason;
  message: string;
}

interface ExchangeRequest {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body?: string | undefined;
  followRedirects: number;
  /** Body bytes kept (decoded); the rest is read and counted only. */
  maxBodyBytes: number;
  /** The check's timeout, for messages. */
  timeoutMs: number;
}

export interface Response {
  status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** Body bytes as transferred (before Content-Encoding is undone). */
  bytes: number;
  /** The decoded body, up to maxBodyBytes. */
  body: Buffer;
  /** False when the body was larger than maxBodyBytes and `body` holds only its start. */
  bodyComplete: boolean;
}

export interface Exchange {
  /** The last URL requested (after redirects). */
  url: string;
  /** Summed over hops; `total` is the wall time of the whole exchange. */
  phases: Phases;
  hops: Hop[];
  /** The connection the last hop used. */
  connection?: Connection | undefined;
  response?: Response;
  failure?: Failure;
}

const now = () => performance.now();
const seconds = (ms: number) => Math.round(ms * 1000) / 1e6;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const RESET_CODES = new Set([
  'ECONNRESET',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'ERR_HTTP2_STREAM_ERROR',
  'ERR_HTTP2_SESSION_ERROR',
  'ERR_HTTP2_GOAWAY_SESSION',
]);
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT']);

type ExchangePhase = ConnectPhase | 'ttfb' | 'transfer';

const DURING: Record<ExchangePhase, (where: string, bytes: number) => string> = {
  dns: (where) => `resolving ${where}`,
  connect: (where) => `connecting to ${where}`,
  tls: (where) => `in the TLS handshake with ${where}`,
  ttfb: () => 'waiting for response headers',
  transfer: (_, bytes) => `reading the body (${bytes} bytes received)`,
};

/** Maps an error in a given phase to the bounded reason set, with a one-line message. */
export function describeFailure(err: unknown, at: { phase: ExchangePhase; where: string; bytes?: number; signal: AbortSignal; timeoutMs: number }): Failure {
  const e = err as { name?: string; code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e?.code ?? e?.cause?.code ?? '';
  const detail = (e?.message ?? String(err)).split('\n')[0]!;
  const bytes = at.bytes ?? 0;
  const during = DURING[at.phase](at.where, bytes);
  if (at.signal.aborted || TIMEOUT_CODES.has(code)) {
    const limit = at.signal.aborted ? ` after ${at.timeoutMs / 1000} s` : '';
    return { reason: 'timeout', message: `timed out${limit} ${during}` };
  }
  if (at.phase === 'dns') return { reason: 'dns', message: `DNS lookup of ${at.where} failed: ${code || detail}` };
  if (code === 'ECONNRESET' || (at.phase !== 'connect' && RESET_CODES.has(code))) {
    return { reason: 'reset', message: `connection reset ${during}${code === 'ECONNRESET' ? '' : `: ${detail}`}` };
  }
  if (at.phase === 'connect') return { reason: 'connect', message: `TCP connect to ${at.where} failed: ${code || detail}` };
  if (at.phase === 'tls') return { reason: 'tls', message: `TLS handshake with ${at.where} failed: ${detail}` };
  // undici's parser errors do not always carry their HPE_ code (it is undefined for most of them), so the name counts too.
  if (e?.name === 'HTTPParserError' || code.startsWith('HPE_') || code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH' || code === 'ERR_HTTP2_PROTOCOL_ERROR') {
    return { reason: 'malformed', message: `malformed response ${during}: ${detail}` };
  }
  return { reason: 'internal', message: `${detail} (${during})` };
}

function flatHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

/** Undoes Content-Encoding, keeping at most `max` bytes; a body cut short is decoded as far as it goes. */
function decode(raw: Buffer, encoding: string | undefined, max: number): { body: Buffer; complete: boolean } {
  const coding = (encoding ?? '').trim().toLowerCase();
  if (!raw.length) return { body: raw, complete: true };
  const partial = { finishFlush: constants.Z_SYNC_FLUSH, maxOutputLength: max };
  try {
    if (coding === 'gzip' || coding === 'x-gzip') return { body: gunzipSync(raw, partial), complete: true };
    if (coding === 'br') return { body: brotliDecompressSync(raw, { finishFlush: constants.BROTLI_OPERATION_FLUSH, maxOutputLength: max }), complete: true };
    if (coding === 'deflate') {
      try {
        return { body: inflateSync(raw, partial), complete: true };
      } catch {
        return { body: inflateRawSync(raw, partial), complete: true };
      }
    }
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') return { body: Buffer.alloc(0), complete: false };
    throw Object.assign(new Error(`body is not valid ${coding}: ${(err as Error).message}`), { code: 'HPE_INVALID_CONTENT_ENCODING' });
  }
  return { body: raw, complete: true };
}

const CREDENTIALS = new Set(['authorization', 'cookie', 'proxy-authorization']);

function withoutCredentials(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !CREDENTIALS.has(name.toLowerCase())));
}

/** Adds each phase of `b` to `a`. */
function addPhases(a: Phases, b: Phases): void {
  for (const [phase, s] of Object.entries(b) as [Phase, number][]) if (phase !== 'total') a[phase] = seconds(((a[phase] ?? 0) + s) * 1000);
}

/** The phases a connection contributed (only when it was opened for this hop). */
function connectionPhases(conn: Connection | undefined): Phases {
  const p: Phases = {};
  if (conn?.dns !== undefined) p.dns = conn.dns;
  if (conn?.connect !== undefined) p.connect = conn.connect;
  if (conn?.tls !== undefined) p.tls = conn.tls;
  return p;
}

/** Runs a request and follows its redirects; see the module comment. */
export async function exchange(req: ExchangeRequest, agent: TimedAgent, signal: AbortSignal): Promise<Exchange> {
  const start = now();
  const result: Exchange = { url: req.url.href, phases: {}, hops: [] };
  const finish = (failure?: Failure): Exchange => {
    result.phases.total = seconds(now() - start);
    if (failure) result.failure = failure;
    return result;
  };
  let url = req.url;
  let method = req.method;
  let body = req.body;
  let requestHeaders = req.headers;
  const visited = [url.href];

  for (;;) {
    result.url = url.href;
    const hopStart = now();
    const opened = agent.connections.length;
    const hop: Hop = { url: url.href, reused_connection: true, phases: {} };
    result.hops.push(hop);
    let phase: 'ttfb' | 'transfer' = 'ttfb';
    let bytes = 0;
    const kept: Buffer[] = [];
    let keptBytes = 0;
    // A connection opened during this hop, or else the open one the request reused.
    const fresh = () => agent.connections.slice(opened).at(-1);
    const used = () => {
      const conn = fresh() ?? agent.connectionFor(url);
      hop.reused_connection = !fresh();
      if (conn?.address) hop.address = conn.address;
      if (conn) hop.protocol = conn.protocol;
      result.connection = conn;
      return conn;
    };

    let status: number;
    let headers: Record<string, string>;
    try {
      const res = await request(url, { dispatcher: agent.dispatcher, method: method as 'GET', headers: requestHeaders, body, signal });
      const headersAt = now();
      const conn = used();
      Object.assign(hop.phases, connectionPhases(hop.reused_connection ? undefined : conn));
      hop.phases.ttfb = seconds(headersAt - Math.max(hopStart, hop.reused_connection ? 0 : (conn?.readyAt ?? 0)));
      status = hop.status = res.statusCode;
      headers = flatHeaders(res.headers);
      phase = 'transfer';
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        bytes += chunk.length;
        if (keptBytes < req.maxBodyBytes) {
          kept.push(chunk.subarray(0, req.maxBodyBytes - keptBytes));
          keptBytes += kept.at(-1)!.length;
        }
      }
      const end = now();
      hop.phases.transfer = seconds(end - headersAt);
      hop.phases.total = seconds(end - hopStart);
      addPhases(result.phases, hop.phases);
    } catch (err) {
      const conn = used();
      const connecting = conn && conn.phase !== 'open' ? conn.phase : undefined;
      if (hop.phases.ttfb === undefined && !hop.reused_connection) Object.assign(hop.phases, connectionPhases(conn));
      hop.phases.total = seconds(now() - hopStart);
      addPhases(result.phases, hop.phases);
      const where = !conn ? url.hostname : connecting === 'dns' ? conn.host : `${conn.address}:${conn.port}`;
      return finish(describeFailure(err, { phase: connecting ?? phase, where, bytes, signal, timeoutMs: req.timeoutMs }));
    }

    const location = headers.location;
    if (REDIRECTS.has(status) && location && req.followRedirects > 0) {
      const next = URL.canParse(location, url) ? new URL(location, url) : undefined;
      if (!next || !/^https?:$/.test(next.protocol))
        return finish({ reason: 'malformed', message: `HTTP ${status} redirects to an unusable location: ${location.slice(0, 200)}` });
      const chain = [...visited, next.href].join(' → ');
      if (visited.includes(next.href)) return finish({ reason: 'http_status', message: `redirect loop: ${chain}` });
      if (visited.length > req.followRedirects) return finish({ reason: 'http_status', message: `more than ${req.followRedirects} redirects: ${chain}` });
      visited.push(next.href);
      if (status === 303 || ((status === 301 || status === 302) && method === 'POST')) {
        method = 'GET';
        body = undefined;
      }
      // Like a browser: credentials are not sent on to another origin.
      if (next.origin !== url.origin) requestHeaders = withoutCredentials(requestHeaders);
      url = next;
      continue;
    }

    const raw = Buffer.concat(kept);
    try {
      const decoded = decode(raw, headers['content-encoding'], req.maxBodyBytes);
      result.response = { status, headers, bytes, body: decoded.body, bodyComplete: decoded.complete && bytes === keptBytes };
    } catch (err) {
      return finish({ reason: 'malformed', message: (err as Error).message });
    }
    return finish();
  }
}
