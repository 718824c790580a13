/**
 * Connections for HTTP checks, opened by us rather than by undici so that every phase is timed
 * (DNS, TCP connect, TLS handshake), the edge can be chosen (connect to another host or a pinned
 * address while keeping the site's Host and SNI), names can go through a chosen DNS server, and
 * the TLS facts (version, ALPN, certificate) are kept.
 */
import { promises as dns } from 'node:dns';
import { isIP, connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type PeerCertificate, type TLSSocket } from 'node:tls';
import { Agent } from 'undici';
import type { HttpCheck, HttpProtocol, TlsDetails } from '../../../../config/checks/http.ts';

export type ConnectPhase = 'dns' | 'connect' | 'tls';

/** A host and optional port, as `connect_to` and `resolver` are written. */
type HostPort = NonNullable<HttpCheck['resolver']>;

/** One connection we opened: where to, how far it got, and how long each step took. */
export interface Connection {
  /** The origin undici asked for (see originKey). */
  origin: string;
  startedAt: number;
  /** The step in progress, or `open` once ready. */
  phase: ConnectPhase | 'open';
  host: string;
  port: number;
  address?: string;
  /** Seconds each step took. */
  dns?: number;
  connect?: number;
  tls?: number;
  readyAt?: number;
  protocol: HttpProtocol;
  tlsInfo?: TlsDetails;
}

interface ConnectOptions {
  /** The host `connect_to` and `pinnedAddress` apply to (the check URL's host); others connect normally. */
  siteHost: string;
  connectTo?: HostPort | undefined;
  /** Connect the site host to this IP address, skipping DNS (used to visit every address). */
  pinnedAddress?: string | undefined;
  resolver?: HostPort | undefined;
  http2: boolean;
  ca?: string | undefined;
  insecure: boolean;
  serverName?: string | undefined;
}

const now = () => performance.now();
const seconds = (ms: number) => Math.round(ms * 1000) / 1e6;
/** The most connections a long-lived (reused) agent remembers. */
const KEEP_CONNECTIONS = 16;

/** Brackets off an IPv6 literal, as undici and net want it. */
export function bareHost(host: string): string {
  return host.replace(/^\[|\]$/g, '');
}

/** "https://www.example.com:443": one key for a URL's origin and for what undici asks us to connect to. */
function originKey(protocol: string, hostname: string, port: string): string {
  return `${protocol}//${bareHost(hostname)}:${port || (protocol === 'https:' ? 443 : 80)}`;
}

/** Every address a name resolves to (A then AAAA with a chosen server; the system's order otherwise). */
export async function resolveAll(host: string, resolver: HostPort | undefined, signal: AbortSignal): Promise<string[]> {
  if (isIP(host)) return [host];
  if (!resolver) return (await untilAborted(dns.lookup(host, { all: true }), signal)).map((a) => a.address);
  const r = new dns.Resolver({ timeout: 2000, tries: 2 });
  const server = isIP(resolver.host) === 6 ? `[${resolver.host}]` : resolver.host;
  r.setServers([`${server}:${resolver.port ?? 53}`]);
  const cancel = () => r.cancel();
  signal.addEventListener('abort', cancel, { once: true });
  try {
    const [v4, v6] = await Promise.allSettled([r.resolve4(host), r.resolve6(host)]);
    const addresses = [...(v4.status === 'fulfilled' ? v4.value : []), ...(v6.status === 'fulfilled' ? v6.value : [])];
    if (!addresses.length) throw v4.status === 'rejected' ? v4.reason : new Error(`no address for ${host}`);
    return addresses;
  } finally {
    signal.removeEventListener('abort', cancel);
  }
}

function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** Resolves when the socket emits `event`; rejects on error, early close or abort (destroying it). */
function when(socket: Socket, event: 'connect' | 'secureConnect', signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      socket.off(event, onEvent).off('error', onError).off('close', onClose);
      signal.removeEventListener('abort', onAbort);
    };
    const onEvent = () => (cleanup(), resolve());
    const onError = (err: Error) => (cleanup(), reject(err));
    const onClose = () => (cleanup(), reject(Object.assign(new Error('socket closed'), { code: 'ECONNRESET' })));
    const onAbort = () => (cleanup(), socket.destroy(), reject(signal.reason));
    if (signal.aborted) return onAbort();
    socket.once(event, onEvent).once('error', onError).once('close', onClose);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function certInfo(socket: TLSSocket): TlsDetails['cert'] {
  const leaf = socket.getPeerCertificate(true);
  if (!leaf?.valid_to) return undefined;
  let earliest = Date.parse(leaf.valid_to);
  const seen = new Set<string>();
  for (
    let c: PeerCertificate | undefined = leaf;
    c?.valid_to && !seen.has(c.fingerprint256);
    c = (c as { issuerCertificate?: PeerCertificate }).issuerCertificate
  ) {
    seen.add(c.fingerprint256);
    earliest = Math.min(earliest, Date.parse(c.valid_to));
  }
  const name = (n: PeerCertificate['subject'] | undefined) => String(n?.CN ?? n?.O ?? '');
  return {
    subject: name(leaf.subject),
    issuer: name(leaf.issuer),
    not_after: new Date(earliest).toISOString(),
    days_left: Math.round(((earliest - Date.now()) / 86_400_000) * 10) / 10,
  };
}

/**
 * An undici dispatcher whose connections we open and time. Each check run makes its own and
 * closes it, so every run sees DNS, connect and TLS like a new visitor (unless the check
 * opts into reusing one across runs).
 */
export class TimedAgent {
  readonly connections: Connection[] = [];
  readonly dispatcher: Agent;
  /** The signal of the run using this agent now; connecting stops when it aborts. */
  signal: AbortSignal;
  private readonly sockets = new Set<Socket>();

  constructor(
    private readonly opts: ConnectOptions,
    signal: AbortSignal,
  ) {
    this.signal = signal;
    this.dispatcher = new Agent({
      allowH2: opts.http2,
      connections: 1,
      connect: (o, callback) => {
        const conn = this.track(o);
        this.open(conn, o).then(
          (socket) => callback(null, socket),
          (err: Error) => callback(err, null),
        );
      },
    });
  }

  /** The newest open connection to a URL's origin (for requests that reused one). */
  connectionFor(url: URL): Connection | undefined {
    const origin = originKey(url.protocol, url.hostname, url.port);
    return this.connections.findLast((c) => c.origin === origin && c.phase === 'open');
  }

  /** Destroys the dispatcher and every socket, without waiting: a hostile peer cannot stall this. */
  close(): void {
    this.dispatcher.destroy().catch(() => {});
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  private track(o: { protocol: string; hostname: string; port: string }): Connection {
    const https = o.protocol === 'https:';
    const conn: Connection = {
      origin: originKey(o.protocol, o.hostname, o.port),
      startedAt: now(),
      phase: 'dns',
      host: o.hostname,
      port: Number(o.port) || (https ? 443 : 80),
      protocol: 'http/1.1',
    };
    this.connections.push(conn);
    if (this.connections.length > KEEP_CONNECTIONS) this.connections.shift();
    return conn;
  }

  private keep<S extends Socket>(socket: S): S {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    return socket;
  }

  private async open(conn: Connection, o: { protocol: string; hostname: string }): Promise<Socket> {
    const { signal, opts } = this;
    const site = bareHost(o.hostname) === opts.siteHost;
    if (site && opts.connectTo) {
      conn.host = opts.connectTo.host;
      conn.port = opts.connectTo.port ?? conn.port;
    }

    const dnsStart = now();
    if (site && opts.pinnedAddress) conn.address = opts.pinnedAddress;
    else if (isIP(conn.host)) conn.address = conn.host;
    else {
      conn.address = (await resolveAll(conn.host, opts.resolver, signal))[0]!;
      conn.dns = seconds(now() - dnsStart);
    }

    conn.phase = 'connect';
    const connectStart = now();
    const tcp = this.keep(tcpConnect({ host: conn.address, port: conn.port, noDelay: true }));
    await when(tcp, 'connect', signal);
    conn.connect = seconds(now() - connectStart);
    if (o.protocol !== 'https:') {
      conn.phase = 'open';
      conn.readyAt = now();
      return tcp;
    }

    conn.phase = 'tls';
    const tlsStart = now();
    const name = opts.serverName ?? bareHost(o.hostname);
    const socket = this.keep(
      tlsConnect({
        socket: tcp,
        host: name,
        ...(isIP(name) ? {} : { servername: name }),
        ALPNProtocols: opts.http2 ? ['h2', 'http/1.1'] : ['http/1.1'],
        ...(opts.ca ? { ca: opts.ca } : {}),
        rejectUnauthorized: !opts.insecure,
      }),
    );
    await when(socket, 'secureConnect', signal);
    conn.tls = seconds(now() - tlsStart);
    conn.protocol = socket.alpnProtocol === 'h2' ? 'h2' : 'http/1.1';
    const cert = certInfo(socket);
    conn.tlsInfo = {
      version: socket.getProtocol(),
      cipher: socket.getCipher()?.name ?? '',
      authorized: socket.authorized,
      ...(socket.authorizationError ? { authorization_error: String(socket.authorizationError) } : {}),
      ...(cert ? { cert } : {}),
    };
    conn.phase = 'open';
    conn.readyAt = now();
    return socket;
  }
}
