/**
 * A DNS server for the faults real authoritative servers won't produce: silence, a reply with the
 * wrong id, a packet cut in half, garbage, an answer for another name, a truncation flag, a reset,
 * a lossy link (every other query dropped), a slow server (every reply held back a while).
 * UDP and TCP on the same port, each with its own fault, switchable while running (the demo does).
 * With fault `ok` it answers like a tiny authoritative server: A → `answer`, SOA → a fixed SOA
 * whose serial setZone changes (the demo's two providers of one zone drift apart that way).
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, isIP, type Server, type Socket } from 'node:net';
import dnsPacket, { type Answer, type DecodedPacket } from 'dns-packet';

export type DnsFault = 'ok' | 'silent' | 'flaky' | 'wrong-id' | 'truncated' | 'garbage' | 'other-name' | 'tc' | 'reset';

interface DnsFaultServerOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default: any free port (the same for UDP and TCP). */
  port?: number;
  /** Fault on UDP (default ok). `reset` acts as `silent` on UDP; `flaky` drops the 1st, 3rd, … query since set. */
  udp?: DnsFault;
  /** Fault on TCP (default ok). `tc` acts as `ok` on TCP. */
  tcp?: DnsFault;
  /** The IPv4 address A queries get (default 192.0.2.1). */
  answer?: string;
  /** The SOA serial served (default 1). */
  serial?: number;
  /** Hold every reply back this many ms, on UDP and TCP (default 0): a slow or distant server. */
  delayMs?: number;
}

export interface DnsFaultServer {
  host: string;
  port: number;
  /** "127.0.0.1:5353" or "[::1]:5353", as a check's nameservers entry. */
  address: string;
  /** Queries received so far, per transport. */
  queries: { udp: number; tcp: number };
  setFaults(faults: { udp?: DnsFault; tcp?: DnsFault; delayMs?: number }): void;
  /** Serve another A answer or SOA serial from now on. */
  setZone(zone: { answer?: string; serial?: number }): void;
  close(): Promise<void>;
}

const GARBAGE = Buffer.from('this is not a DNS message, only noise\n');

export async function startDnsFaultServer(opts: DnsFaultServerOptions = {}): Promise<DnsFaultServer> {
  const host = opts.host ?? '127.0.0.1';
  const faults = { udp: opts.udp ?? 'ok', tcp: opts.tcp ?? 'ok', delayMs: opts.delayMs ?? 0 };
  const queries = { udp: 0, tcp: 0 };
  // Counted from the last setFaults, so `flaky` always drops the first query after it.
  const sinceChange = { udp: 0, tcp: 0 };
  const zone = { answer: opts.answer ?? '192.0.2.1', serial: opts.serial ?? 1 };
  const connections = new Set<Socket>();
  const held = new Set<NodeJS.Timeout>();
  const later = (send: () => void) => {
    if (!faults.delayMs) return send();
    const timer = setTimeout(() => {
      held.delete(timer);
      send();
    }, faults.delayMs);
    held.add(timer);
  };

  const tcp = createServer((socket) => {
    connections.add(socket);
    socket.on('close', () => connections.delete(socket));
    socket.on('error', () => {});
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const message = buf.subarray(2, 2 + buf.readUInt16BE(0));
        buf = buf.subarray(2 + message.length);
        queries.tcp++;
        const fault = faultFor(faults.tcp, 'tcp', ++sinceChange.tcp);
        if (fault === 'reset') return socket.resetAndDestroy();
        const out = respond(message, fault, zone.answer, zone.serial);
        if (!out) continue;
        const length = Buffer.alloc(2);
        // A cut packet keeps the full length prefix, so the client sees the connection end early.
        length.writeUInt16BE(fault === 'truncated' ? out.length * 2 : out.length);
        later(() => {
          if (socket.destroyed) return;
          socket.write(Buffer.concat([length, out]));
          if (fault === 'truncated') socket.end();
        });
      }
    });
  });

  const { port, udp } = await bindBoth(tcp, host, opts.port);
  udp.on('message', (message, peer) => {
    queries.udp++;
    const fault = faultFor(faults.udp, 'udp', ++sinceChange.udp);
    const out = respond(message, fault, zone.answer, zone.serial);
    if (out) later(() => udp.send(out, peer.port, peer.address));
  });

  return {
    host,
    port,
    address: isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`,
    queries,
    setFaults(next) {
      Object.assign(faults, next);
      Object.assign(sinceChange, { udp: 0, tcp: 0 });
    },
    setZone(next) {
      Object.assign(zone, next);
    },
    async close() {
      for (const timer of held) clearTimeout(timer);
      for (const socket of connections) socket.destroy();
      await Promise.all([new Promise<void>((r) => tcp.close(() => r())), new Promise<void>((r) => udp.close(() => r()))]);
    },
  };
}

/** Binds TCP, then UDP on the same port (retrying when the port is only free for TCP). */
async function bindBoth(tcp: Server, host: string, wanted: number | undefined): Promise<{ port: number; udp: UdpSocket }> {
  for (let tries = 0; ; tries++) {
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(wanted ?? 0, host, () => {
        tcp.off('error', reject);
        resolve();
      });
    });
    const port = (tcp.address() as { port: number }).port;
    const udp = createSocket(isIP(host) === 6 ? 'udp6' : 'udp4');
    try {
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind(port, host, () => {
          udp.off('error', reject);
          resolve();
        });
      });
      return { port, udp };
    } catch (err) {
      udp.close();
      await new Promise<void>((r) => tcp.close(() => r()));
      if (wanted !== undefined || tries >= 10) throw err;
    }
  }
}

/** The fault as it applies to the n-th query (from 1) on a transport. */
function faultFor(fault: DnsFault, transport: 'udp' | 'tcp', n: number): DnsFault {
  if (fault === 'flaky') return n % 2 === 1 ? 'silent' : 'ok';
  if (transport === 'udp' && fault === 'reset') return 'silent';
  if (transport === 'tcp' && fault === 'tc') return 'ok';
  return fault;
}

/** The bytes to send back for one query under a fault; undefined to stay silent. */
function respond(message: Buffer, fault: DnsFault, answer: string, serial: number): Buffer | undefined {
  let query: DecodedPacket;
  try {
    query = dnsPacket.decode(message);
  } catch {
    return undefined;
  }
  const question = query.questions?.[0];
  if (!question || fault === 'silent' || fault === 'reset') return undefined;
  if (fault === 'garbage') return GARBAGE;

  const name = fault === 'other-name' ? 'not-what-you-asked.example' : question.name;
  const soa: Answer = {
    name,
    type: 'SOA',
    ttl: 60,
    data: { mname: `ns1.${name}`, rname: `hostmaster.${name}`, serial, refresh: 3600, retry: 600, expire: 86400, minimum: 60 },
  };
  const answers: Answer[] = fault === 'tc' ? [] : question.type === 'A' ? [{ name, type: 'A', ttl: 60, data: answer }] : question.type === 'SOA' ? [soa] : [];
  const reply = dnsPacket.encode({
    type: 'response',
    id: fault === 'wrong-id' ? (query.id ?? 0) ^ 0x5555 : query.id,
    flags: dnsPacket.AUTHORITATIVE_ANSWER | (fault === 'tc' ? dnsPacket.TRUNCATED_RESPONSE : 0),
    questions: [{ ...question, name }],
    answers,
    authorities: answers.length || fault === 'tc' ? [] : [soa],
  });
  return fault === 'truncated' ? reply.subarray(0, Math.max(13, Math.floor(reply.length / 2))) : reply;
}
