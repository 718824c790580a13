import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { createServer, type TLSSocket } from 'node:tls';
import { promisify } from 'node:util';
import { freePort, start, tempDir, waitFor, type Running } from './processes.ts';

export interface Varnish extends Running {
  url: string;
  port: number;
  /** Switches to the base VCL plus `extra` (VCL subroutines, added to the base ones), at once for new requests. */
  useVcl(extra: string): Promise<void>;
  /** Empties the cache (a ban on every object). */
  ban(): Promise<void>;
}

interface VarnishOptions {
  /** Names the location in an `X-Edge-Pop` header. */
  pop?: string;
  /** VCL subroutines added to the base VCL; a subroutine defined twice runs both bodies in order. */
  vcl?: string;
  /** Accept HTTP/2 with prior knowledge (behind a TLS terminator that negotiated h2 by ALPN). */
  http2?: boolean;
}

/**
 * A real Varnish (Debian `varnish`) on a free loopback port in front of one backend, as a CDN
 * edge: default caching rules, plus an `X-Edge-Pop` header naming its location (`pop`) and any
 * `vcl` given. `-j none` lets it run from a private temp dir whether or not the tests run as root.
 * Its admin port (varnishadm) loads new VCL and bans.
 */
export async function startVarnish(backend: { host?: string; port: number }, { pop = 'AMS1', vcl = '', http2 = false }: VarnishOptions = {}): Promise<Varnish> {
  const dir = tempDir('vendorwatch-varnish-');
  const [port, adminPort] = [await freePort(), await freePort()];
  const secret = join(dir, 'secret');
  writeFileSync(secret, 'vendorwatch-test\n');
  const vclWith = (extra: string) => `vcl 4.1;
backend origin { .host = "${backend.host ?? '127.0.0.1'}"; .port = "${backend.port}"; }
sub vcl_recv { if (req.url == "/varnish-ready") { return (synth(200, "ready")); } }
sub vcl_deliver { set resp.http.X-Edge-Pop = server.identity; }
${extra}
`;
  writeFileSync(join(dir, 'edge.vcl'), vclWith(vcl));
  const proc = start('varnishd', [
    '-F',
    '-j',
    'none',
    '-a',
    `127.0.0.1:${port}`,
    '-T',
    `127.0.0.1:${adminPort}`,
    '-S',
    secret,
    '-n',
    join(dir, 'work'),
    '-f',
    join(dir, 'edge.vcl'),
    '-s',
    'malloc,32m',
    '-i',
    pop,
    ...(http2 ? ['-p', 'feature=+http2'] : []),
  ]);
  proc.child.once('error', () => {});
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => proc.child.exitCode === null && (await fetch(`${url}/varnish-ready`)).ok, {
    what: `varnishd ready (is the Debian package varnish installed?)\n${proc.output()}`,
  });
  const admin = (...command: string[]) => promisify(execFile)('varnishadm', ['-T', `127.0.0.1:${adminPort}`, '-S', secret, ...command]);
  let loaded = 0;
  return {
    ...proc,
    url,
    port,
    async useVcl(extra) {
      const name = `v${++loaded}`;
      const file = join(dir, `${name}.vcl`);
      writeFileSync(file, vclWith(extra));
      await admin('vcl.load', name, file);
      await admin('vcl.use', name);
    },
    async ban() {
      await admin('ban', 'req.url', '~', '.');
    },
  };
}

export interface TlsTerminator {
  port: number;
  /** The protocols offered by ALPN, most preferred first (default h2, then http/1.1). */
  offer(protocols: string[]): void;
  close(): Promise<void>;
}

/**
 * TLS in front of a plain-text edge, as hitch does for Varnish: the handshake (with ALPN) ends
 * here and the bytes go on to `backendPort` unchanged, so an h2 client speaks h2 with prior
 * knowledge to a Varnish started with `http2: true`.
 */
export async function startTlsTerminator(backendPort: number, tls: { key: string; cert: string }): Promise<TlsTerminator> {
  let offered = ['h2', 'http/1.1'];
  const sockets = new Set<Socket>();
  const server = createServer({ ...tls, ALPNCallback: ({ protocols }) => offered.find((p) => protocols.includes(p)) }, (client: TLSSocket) => {
    const upstream = connect(backendPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.once('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    port,
    offer(protocols) {
      offered = protocols;
    },
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
