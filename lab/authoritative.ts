/**
 * Real authoritative DNS servers for the demo and the tests: NSD and Knot (Debian packages nsd,
 * knot) run in the foreground on a loopback address, each in its own directory, serving zones
 * written from a small spec. `updateZone` rewrites a zone and waits until the server serves it.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { exchange } from '../agent/probe/checks/dns/query.ts';

const NSD = '/usr/sbin/nsd';
const KNOTD = '/usr/sbin/knotd';
const KNOTC = '/usr/sbin/knotc';

export interface ZoneSpec {
  /** The zone apex, e.g. "lab.test". */
  origin: string;
  serial: number;
  /** Zone-file lines relative to the origin, e.g. "www A 192.0.2.1" or "@ NS ns1". */
  records: string[];
  /** Default TTL, seconds (default 300). */
  ttl?: number;
  /** Sign the zone (Knot only): ECDSA P-256 keys made on first load. */
  dnssec?: boolean;
}

interface AuthoritativeOptions {
  /** Default 127.0.0.1; any loopback address (127.0.0.0/8, ::1) works on Linux. */
  host?: string;
  port: number;
  zones: ZoneSpec[];
  /** What the server answers to an NSID query (default: "nsd" or "knot"). */
  nsid?: string;
  /** Working directory (default: a new temporary one, removed on close). */
  dir?: string;
}

interface KnotOptions extends AuthoritativeOptions {
  /** How long signatures of signed zones stay valid, in Knot's syntax (default "14d"). */
  rrsigLifetime?: string;
}

export interface AuthoritativeServer {
  software: 'nsd' | 'knot';
  host: string;
  port: number;
  /** "127.0.0.1:5353" or "[::1]:5353", as a check's nameservers entry. */
  address: string;
  dir: string;
  /** Rewrites a zone the server already serves, reloads it and waits until the new serial is served. */
  updateZone(zone: ZoneSpec): Promise<void>;
  /** The server's log so far. */
  output(): string;
  close(): Promise<void>;
}

function zoneFileText(zone: ZoneSpec): string {
  const origin = zone.origin.replace(/\.$/, '');
  return [
    `$ORIGIN ${origin}.`,
    `$TTL ${zone.ttl ?? 300}`,
    `@ IN SOA ns1.${origin}. hostmaster.${origin}. ${zone.serial} 3600 600 86400 60`,
    ...zone.records,
    '',
  ].join('\n');
}

export async function startNsd(opts: AuthoritativeOptions): Promise<AuthoritativeServer> {
  if (opts.zones.some((z) => z.dnssec)) throw new Error('NSD serves zones as they are; sign with startKnot');
  const host = opts.host ?? '127.0.0.1';
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'vendorwatch-nsd-'));
  const conf = join(dir, 'nsd.conf');
  const files = writeZones(dir, opts.zones);
  writeFileSync(
    conf,
    `server:
  ip-address: ${host}@${opts.port}
  port: ${opts.port}
  do-ip4: ${isIP(host) === 4 ? 'yes' : 'no'}
  do-ip6: ${isIP(host) === 6 ? 'yes' : 'no'}
  zonesdir: "${dir}"
  chroot: ""
  username: ""
  database: ""
  zonelistfile: "${join(dir, 'zone.list')}"
  xfrdfile: ""
  xfrdir: "${dir}"
  pidfile: "${join(dir, 'nsd.pid')}"
  server-count: 1
  nsid: "ascii_${opts.nsid ?? 'nsd'}"
  # Response rate limiting (200 qps per /24 by default) would drop replies to a busy loopback client.
  rrl-ratelimit: 0
remote-control:
  control-enable: no
${opts.zones.map((z) => `zone:\n  name: ${z.origin}\n  zonefile: "${files.get(z.origin)}"\n`).join('')}`,
  );
  const proc = run(NSD, ['-d', '-c', conf]);
  // NSD reloads zone files whose mtime changed on SIGHUP; bump it so even a same-second rewrite counts.
  let bumps = 0;
  return serve('nsd', host, opts.port, dir, opts.zones, proc, async (zone) => {
    const file = files.get(zone.origin);
    if (!file) throw new Error(`NSD does not serve ${zone.origin}`);
    writeFileSync(file, zoneFileText(zone));
    const mtime = new Date(Date.now() + 1000 * ++bumps);
    utimesSync(file, mtime, mtime);
    proc.child.kill('SIGHUP');
  });
}

export async function startKnot(opts: KnotOptions): Promise<AuthoritativeServer> {
  const host = opts.host ?? '127.0.0.1';
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'vendorwatch-knot-'));
  const conf = join(dir, 'knot.conf');
  const files = writeZones(dir, opts.zones);
  mkdirSync(join(dir, 'db'), { recursive: true });
  writeFileSync(
    conf,
    `server:
  listen: ${host}@${opts.port}
  rundir: "${dir}"
  nsid: "${opts.nsid ?? 'knot'}"
log:
  - target: stderr
    any: info
database:
  storage: "${join(dir, 'db')}"
control:
  listen: "${join(dir, 'knot.sock')}"
policy:
  - id: lab
    algorithm: ecdsap256sha256
    rrsig-lifetime: ${opts.rrsigLifetime ?? '14d'}
template:
  - id: default
    storage: "${dir}"
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
zone:
${opts.zones.map((z) => `  - domain: ${z.origin}\n    file: "${files.get(z.origin)}"\n${z.dnssec ? '    dnssec-signing: on\n    dnssec-policy: lab\n' : ''}`).join('')}`,
  );
  const proc = run(KNOTD, ['-c', conf]);
  return serve('knot', host, opts.port, dir, opts.zones, proc, async (zone) => {
    const file = files.get(zone.origin);
    if (!file) throw new Error(`Knot does not serve ${zone.origin}`);
    writeFileSync(file, zoneFileText(zone));
    await promisify(execFile)(KNOTC, ['-c', conf, '-b', 'zone-reload', zone.origin]);
  });
}

function writeZones(dir: string, zones: ZoneSpec[]): Map<string, string> {
  const files = new Map<string, string>();
  for (const zone of zones) {
    const file = join(dir, `${zone.origin}.zone`);
    writeFileSync(file, zoneFileText(zone));
    files.set(zone.origin, file);
  }
  return files;
}

interface Process {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function run(cmd: string, args: string[]): Process {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  child.on('error', (err) => (out += `${cmd}: ${err.message}\n`));
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function serve(
  software: 'nsd' | 'knot',
  host: string,
  port: number,
  dir: string,
  zones: ZoneSpec[],
  proc: Process,
  reload: (zone: ZoneSpec) => Promise<void>,
): Promise<AuthoritativeServer> {
  const server: AuthoritativeServer = {
    software,
    host,
    port,
    address: isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`,
    dir,
    async updateZone(zone) {
      await reload(zone);
      await untilServed(server, proc, zone);
    },
    output: proc.output,
    async close() {
      if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill('SIGTERM');
      const timer = setTimeout(() => proc.child.kill('SIGKILL'), 10_000);
      await proc.exited;
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    for (const zone of zones) await untilServed(server, proc, zone);
  } catch (err) {
    await server.close();
    throw err;
  }
  return server;
}

/** Polls the zone's SOA until the server serves `zone.serial` or newer (a signer may bump it). */
async function untilServed(server: AuthoritativeServer, proc: Process, zone: ZoneSpec, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let seen = 'no reply';
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) break;
    const { reply } = await exchange(
      { address: server.host, port: server.port },
      { name: zone.origin, type: 'SOA' },
      { transport: 'udp', attempts: 1, attemptTimeoutMs: 500, edns: false, dnssec: false, recursionDesired: false, signal: AbortSignal.timeout(1000) },
    );
    const soa = reply?.answers?.find((a) => a.type === 'SOA');
    const serial = soa?.type === 'SOA' ? soa.data.serial : undefined;
    if (serial !== undefined && (serial - zone.serial) >>> 0 < 0x8000_0000) return;
    seen = reply ? `${reply.rcode}${serial === undefined ? '' : `, serial ${serial}`}` : 'no reply';
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${server.software} on ${server.address} does not serve ${zone.origin} serial ${zone.serial} (${seen})\n${proc.output()}`);
}
