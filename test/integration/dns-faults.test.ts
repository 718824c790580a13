/**
 * The DNS check against what real servers won't do (lab/dns-faults.ts): silence, wrong ids, cut
 * packets, garbage, answers for another name, truncation followed by a dead TCP, resets, loss.
 * Each gives one failed (or degraded) result with a clear reason; none throws.
 */
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dnsDetailsSchema } from '../../config/checks/dns.ts';
import type { CheckResult } from '../../config/result.ts';
import { startDnsFaultServer, type DnsFault, type DnsFaultServer } from '../../lab/dns-faults.ts';
import { runDns } from '../support/dns.ts';
import { freePort } from '../support/processes.ts';

/** Some CI containers have no IPv6 loopback. */
const ipv6 = await new Promise<boolean>((resolve) => {
  const probe = createServer().once('error', () => resolve(false));
  probe.listen(0, '::1', () => probe.close(() => resolve(true)));
});

let faulty: DnsFaultServer;
let healthy: DnsFaultServer;

beforeAll(async () => {
  [faulty, healthy] = await Promise.all([startDnsFaultServer(), startDnsFaultServer({ answer: '192.0.2.1' })]);
});
afterAll(async () => {
  await Promise.all([faulty?.close(), healthy?.close()]);
});

/** One check run against the fault server with the given faults; short tries keep the suite quick. */
function against(faults: { udp?: DnsFault; tcp?: DnsFault }, extra: Record<string, unknown> = {}): Promise<CheckResult> {
  faulty.setFaults({ udp: 'ok', tcp: 'ok', ...faults });
  return runDns({
    query: { name: 'www.example.test' },
    nameservers: [{ server: faulty.address, name: 'ns1' }],
    attempt_timeout: '300ms',
    consistency: { serial: false },
    ...extra,
  });
}
const only = (r: CheckResult) => dnsDetailsSchema.parse(r.details).nameservers[0]!;
const tries = (r: CheckResult) => only(r).attempts.map((a) => `${a.transport} ${a.outcome}`);

describe('DNS check against misbehaving servers', () => {
  it('passes against the fault server with no fault', async () => {
    // A longer try than the others: on a loaded machine a 300 ms try can expire before the reply is read.
    expect(await against({}, { attempt_timeout: '2s' })).toMatchObject({ ok: true, message: '1 nameserver ok: 192.0.2.1' });
  });

  it('reports silence as a timeout after every try', async () => {
    const r = await against({ udp: 'silent' });
    expect(r).toMatchObject({ ok: false, reason: 'timeout', message: 'ns1: no reply within 300 ms over UDP (2 tries: udp timeout, udp timeout)' });
    expect(only(r)).toMatchObject({ first_attempt: 'timeout', final_attempt: 'timeout' });
  });

  it.each([
    ['wrong-id', /^ns1: reply id \d+ does not match query id \d+ \(2 tries: udp malformed, udp malformed\)$/],
    ['truncated', /^ns1: reply ends early \(\d+ bytes\): a record runs past its end/],
    ['garbage', /^ns1: undecodable reply \(\d+ bytes\): Cannot decode name/],
    ['other-name', /^ns1: answer for not-what-you-asked\.example A, asked for www\.example\.test A/],
  ] as const)('reports a %s reply over UDP as malformed, saying what was wrong', async (fault, message) => {
    const r = await against({ udp: fault });
    expect(r).toMatchObject({ ok: false, reason: 'malformed' });
    expect(r.message).toMatch(message);
  });

  it.each([
    ['wrong-id', 'malformed', /^ns1: reply id \d+ does not match query id \d+$/],
    ['truncated', 'malformed', /^ns1: the server closed the TCP connection after \d+ of \d+ reply bytes$/],
    ['garbage', 'malformed', /^ns1: undecodable reply/],
    ['reset', 'reset', /^ns1: TCP connection reset \(ECONNRESET\)$/],
    ['silent', 'timeout', /^ns1: no reply within 300 ms over TCP$/],
  ] as const)('reports a %s reply over TCP as %s', async (fault, reason, message) => {
    const r = await against({ tcp: fault }, { transport: 'tcp' });
    expect(r).toMatchObject({ ok: false, reason });
    expect(r.message).toMatch(message);
  });

  it('falls back to TCP on a truncated UDP reply, and keeps the failure when TCP then fails', async () => {
    const fallback = await against({ udp: 'tc' });
    expect(fallback).toMatchObject({ ok: true, degraded: false });
    expect(tries(fallback)).toEqual(['udp truncated', 'tcp answer']);
    const dead = await against({ udp: 'tc', tcp: 'silent' });
    expect(dead).toMatchObject({ ok: false, reason: 'timeout', message: 'ns1: no reply within 300 ms over TCP (2 tries: udp truncated, tcp timeout)' });
    expect(only(dead)).toMatchObject({ first_attempt: 'truncated', final_attempt: 'timeout' });
  });

  it('passes a retry that got an answer as degraded, never hiding the lost first try', async () => {
    const r = await against({ udp: 'flaky' }, { attempt_timeout: '1s' });
    expect(r).toMatchObject({ ok: true, degraded: true, reason: 'ok', message: 'ns1: answered on try 2 after udp timeout' });
    expect(only(r)).toMatchObject({ first_attempt: 'timeout', final_attempt: 'answer', degraded: true });
  });

  it('waits for a slow server: a reply held past the try times out, one held less passes', async () => {
    try {
      faulty.setFaults({ delayMs: 1000 });
      const late = await against({}, { attempts: 1, attempt_timeout: '200ms' });
      expect(late).toMatchObject({ ok: false, reason: 'timeout', message: 'ns1: no reply within 200 ms over UDP' });
      faulty.setFaults({ delayMs: 100 });
      expect(await against({}, { attempts: 1, attempt_timeout: '5s' })).toMatchObject({ ok: true, message: '1 nameserver ok: 192.0.2.1' });
    } finally {
      faulty.setFaults({ delayMs: 0 });
    }
  });

  it('reports a closed port as connect', async () => {
    const port = await freePort();
    const r = await runDns({ query: { name: 'www.example.test' }, nameservers: [`127.0.0.1:${port}`], transport: 'tcp' });
    expect(r).toMatchObject({ ok: false, reason: 'connect', message: `127.0.0.1:${port}: TCP connection refused` });
  });

  it('looks nameserver names up on the system (here /etc/hosts), and says when that fails', async () => {
    faulty.setFaults({ udp: 'ok', tcp: 'ok' });
    const named = await runDns({ query: { name: 'www.example.test' }, nameservers: [`localhost:${faulty.port}`] });
    expect(named).toMatchObject({ ok: true, phases: { dns: expect.any(Number) } });
    expect(only(named)).toMatchObject({ nameserver: `localhost:${faulty.port}`, address: '127.0.0.1' });
    const unknown = await runDns({ query: { name: 'www.example.test' }, nameservers: [{ server: 'ns1.vendorwatch.invalid', name: 'ns1' }] });
    expect(unknown).toMatchObject({
      ok: false,
      reason: 'dns',
      message: expect.stringMatching(/^ns1: name lookup of ns1\.vendorwatch\.invalid failed: E[A-Z]+$/),
    });
  });

  it.skipIf(!ipv6)('queries IPv6 nameservers written as [::1]:port', async () => {
    const v6 = await startDnsFaultServer({ host: '::1' });
    try {
      const r = await runDns({ query: { name: 'www.example.test' }, nameservers: [v6.address] });
      expect(v6.address).toBe(`[::1]:${v6.port}`);
      expect(r).toMatchObject({ ok: true });
      expect(only(r)).toMatchObject({ address: '::1', port: v6.port, transport: 'udp' });
    } finally {
      await v6.close();
    }
  });

  it('stops at the check timeout and still reports every nameserver', async () => {
    faulty.setFaults({ udp: 'silent' });
    const r = await runDns({
      query: { name: 'www.example.test' },
      nameservers: [
        { server: healthy.address, name: 'good' },
        { server: faulty.address, name: 'bad' },
      ],
      timeout: '500ms',
      attempt_timeout: '500ms',
      attempts: 5,
    });
    expect(r).toMatchObject({ ok: false, reason: 'timeout' });
    expect(r.message).toMatch(/^bad: stopped at the check timeout/);
    expect(dnsDetailsSchema.parse(r.details).nameservers.map((s) => [s.nameserver, s.ok])).toEqual([
      ['good', true],
      ['bad', false],
    ]);
  });
});
