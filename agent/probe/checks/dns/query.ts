/**
 * One DNS question to one server, on the wire: UDP with EDNS0 (retried on silence or a bad
 * reply), TCP when the UDP reply is truncated or when asked to. Every try is recorded; nothing
 * here throws — a dead, slow or hostile server is an outcome, never an exception.
 */
import { randomInt } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { connect, isIP } from 'node:net';
import dnsPacket, { type DecodedPacket, type RecordType } from 'dns-packet';
import type { DnsAttempt } from '../../../../config/checks/dns.ts';
import { rcodes } from '../../../../config/checks/dns.ts';
import { answerChain, normalizeName } from './records.ts';

export interface Target {
  /** An IPv4 or IPv6 address. */
  address: string;
  port: number;
}

interface Question {
  name: string;
  type: RecordType;
}

export interface QueryOptions {
  transport: 'udp' | 'tcp';
  /** UDP tries when no valid reply comes back. */
  attempts: number;
  attemptTimeoutMs: number;
  edns: false | { udp_size: number; nsid: boolean };
  dnssec: boolean;
  recursionDesired: boolean;
  signal: AbortSignal;
}

/** A decoded reply; dns-packet's types omit the header fields below. `rcode` includes EDNS extended bits. */
export type Reply = DecodedPacket & { rcode: string; opcode: string };

export interface Exchange {
  /** The final reply, when the last try got a valid, complete one. */
  reply?: Reply;
  attempts: DnsAttempt[];
  /** First query sent to the end of the last try. */
  seconds: number;
}

type AttemptEnd = { outcome: DnsAttempt['outcome']; message?: string; reply?: Reply };

export async function exchange(target: Target, question: Question, opts: QueryOptions): Promise<Exchange> {
  const id = randomInt(0, 65_536);
  const message = dnsPacket.encode({
    type: 'query',
    id,
    flags: opts.recursionDesired ? dnsPacket.RECURSION_DESIRED : 0,
    questions: [{ name: question.name, type: question.type, class: 'IN' }],
    additionals: opts.edns
      ? [
          {
            type: 'OPT',
            name: '.',
            udpPayloadSize: opts.edns.udp_size,
            extendedRcode: 0,
            ednsVersion: 0,
            flags: opts.dnssec ? dnsPacket.DNSSEC_OK : 0,
            flag_do: opts.dnssec,
            // NSID (RFC 5001): an empty option asks the server to name itself.
            options: opts.edns.nsid ? [{ code: 3, data: Buffer.alloc(0) } as never] : [],
          },
        ]
      : [],
  });
  const expected = { id, ...question };
  const attempts: DnsAttempt[] = [];
  const t0 = performance.now();

  const attempt = async (transport: 'udp' | 'tcp'): Promise<AttemptEnd> => {
    const started = performance.now();
    const run = transport === 'udp' ? udpAttempt : tcpAttempt;
    const end = await run(target, message, expected, opts.attemptTimeoutMs, opts.signal);
    attempts.push({ transport, outcome: end.outcome, seconds: (performance.now() - started) / 1000, ...(end.message && { message: end.message }) });
    return end;
  };

  let end: AttemptEnd;
  if (opts.transport === 'tcp') {
    end = await attempt('tcp');
  } else {
    end = await attempt('udp');
    for (let i = 1; i < opts.attempts && (end.outcome === 'timeout' || end.outcome === 'malformed'); i++) end = await attempt('udp');
    if (end.outcome === 'truncated') end = await attempt('tcp');
  }
  return { ...(end.outcome === 'answer' && { reply: end.reply }), attempts, seconds: (performance.now() - t0) / 1000 };
}

interface Expected extends Question {
  id: number;
}

/** Runs one try with a deadline and the check's abort signal; `settle` ends it exactly once. */
function withDeadline(
  timeoutMs: number,
  signal: AbortSignal,
  onTimeout: () => AttemptEnd,
  body: (settle: (end: AttemptEnd) => void) => () => void,
): Promise<AttemptEnd> {
  return new Promise((resolve) => {
    let cleanup = () => {};
    let settled = false;
    const settle = (end: AttemptEnd) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      cleanup();
      resolve(end);
    };
    const onAbort = () => settle({ outcome: 'aborted', message: 'stopped at the check timeout' });
    const timer = setTimeout(() => settle(onTimeout()), timeoutMs);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    cleanup = body(settle);
    if (settled) cleanup();
  });
}

function udpAttempt(target: Target, message: Buffer, expected: Expected, timeoutMs: number, signal: AbortSignal): Promise<AttemptEnd> {
  // A bad datagram (wrong id, garbage, another question) may be spoofed or stray: keep waiting
  // for the real reply, and only if none comes report what was wrong.
  let problem: string | undefined;
  return withDeadline(
    timeoutMs,
    signal,
    () => (problem ? { outcome: 'malformed', message: problem } : { outcome: 'timeout', message: `no reply within ${timeoutMs} ms over UDP` }),
    (settle) => {
      const socket = createSocket(isIP(target.address) === 6 ? 'udp6' : 'udp4');
      socket.on('message', (buf) => {
        const read = readReply(buf, expected);
        if (read.problem !== undefined) problem ??= read.problem;
        else settle({ outcome: read.reply.flag_tc ? 'truncated' : 'answer', reply: read.reply });
      });
      socket.on('error', (err) => settle(socketError(err, 'udp')));
      socket.connect(target.port, target.address, () => socket.send(message, (err) => err && settle(socketError(err, 'udp'))));
      return () => {
        try {
          socket.close();
        } catch {
          // Already closed by a socket error.
        }
      };
    },
  );
}

function tcpAttempt(target: Target, message: Buffer, expected: Expected, timeoutMs: number, signal: AbortSignal): Promise<AttemptEnd> {
  return withDeadline(
    timeoutMs,
    signal,
    () => ({ outcome: 'timeout', message: `no reply within ${timeoutMs} ms over TCP` }),
    (settle) => {
      let received = Buffer.alloc(0);
      const socket = connect({ host: target.address, port: target.port, noDelay: true });
      socket.on('connect', () => {
        const length = Buffer.alloc(2);
        length.writeUInt16BE(message.length);
        socket.write(Buffer.concat([length, message]));
      });
      socket.on('data', (chunk: Buffer) => {
        received = Buffer.concat([received, chunk]);
        if (received.length < 2) return;
        const length = received.readUInt16BE(0);
        if (received.length < 2 + length) return;
        // Over TCP nobody can inject a reply, so a bad one is the server's.
        const read = readReply(received.subarray(2, 2 + length), expected);
        settle(read.problem !== undefined ? { outcome: 'malformed', message: read.problem } : { outcome: 'answer', reply: read.reply });
      });
      socket.on('close', () => {
        const length = received.length >= 2 ? received.readUInt16BE(0) : undefined;
        settle(
          length === undefined
            ? { outcome: 'reset', message: 'the server closed the TCP connection without a reply' }
            : { outcome: 'malformed', message: `the server closed the TCP connection after ${received.length - 2} of ${length} reply bytes` },
        );
      });
      socket.on('error', (err) => settle(socketError(err, 'tcp')));
      return () => socket.destroy();
    },
  );
}

function socketError(err: NodeJS.ErrnoException, transport: 'udp' | 'tcp'): AttemptEnd {
  const code = err.code ?? '';
  if (code === 'ECONNREFUSED') {
    return { outcome: 'connect', message: transport === 'udp' ? 'port unreachable (nothing listens on UDP)' : 'TCP connection refused' };
  }
  if (code === 'ECONNRESET' || code === 'EPIPE') return { outcome: 'reset', message: `TCP connection reset (${code})` };
  return { outcome: 'connect', message: `${transport.toUpperCase()}: ${err.message}` };
}

const rcodeNames: Record<number, string> = { ...Object.fromEntries(rcodes.map((name, i) => [i, name])), 16: 'BADVERS' };

/** Decodes and vets one reply to `expected`; a reason in words when it is not a valid answer to it. */
export function readReply(buf: Buffer, expected: Expected): { reply: Reply; problem?: undefined } | { problem: string } {
  let reply: Reply;
  try {
    reply = dnsPacket.decode(buf) as Reply;
  } catch (err) {
    // dns-packet reads past the end of a short buffer with a RangeError.
    if (err instanceof RangeError) return { problem: `reply ends early (${buf.length} bytes): a record runs past its end` };
    return { problem: `undecodable reply (${buf.length} bytes): ${(err as Error).message}` };
  }
  const used = dnsPacket.decode.bytes;
  if (used > buf.length) return { problem: `reply cut short: its records need ${used} bytes, got ${buf.length}` };
  if (used < buf.length) return { problem: `${buf.length - used} stray bytes after the end of the reply` };
  if (!reply.flag_qr) return { problem: 'not a response (QR bit clear)' };
  if (reply.id !== expected.id) return { problem: `reply id ${reply.id} does not match query id ${expected.id}` };
  if (reply.opcode !== 'QUERY') return { problem: `unexpected opcode ${reply.opcode}` };

  const opt = reply.additionals?.find((a) => a.type === 'OPT');
  const rcode = ((opt && 'extendedRcode' in opt ? opt.extendedRcode : 0) << 4) | ((reply.flags ?? 0) & 0xf);
  reply.rcode = rcodeNames[rcode] ?? `RCODE${rcode}`;

  const q = reply.questions?.[0];
  const asked = `${normalizeName(expected.name)} ${expected.type}`;
  if (q && (normalizeName(q.name) !== normalizeName(expected.name) || q.type !== expected.type)) {
    return { problem: `answer for ${normalizeName(q.name)} ${q.type}, asked for ${asked}` };
  }
  if (!q && reply.rcode === 'NOERROR' && !reply.flag_tc) return { problem: 'reply has no question section' };
  const [stray] = answerChain(reply.answers ?? [], expected.name, expected.type).strays;
  if (stray) return { problem: `answer section holds ${normalizeName(stray.name)} ${stray.type}, unrelated to ${asked}` };
  return { reply };
}
