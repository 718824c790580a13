/**
 * The DNS check against two real authoritative servers, NSD and Knot, serving the same zone on
 * loopback — then one of them moves on (new serial, new answer) and the check must say which.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dnsDetailsSchema, type DnsNameserverDetails } from '../../config/checks/dns.ts';
import { checkResultSchema, type CheckResult } from '../../config/result.ts';
import { registry } from '../../agent/metrics.ts';
import { recordCheckResult } from '../../agent/probe/metrics.ts';
import { startKnot, startNsd, type AuthoritativeServer, type ZoneSpec } from '../../lab/authoritative.ts';
import { runDns } from '../support/dns.ts';
import { freePort, runCli, tempDir } from '../support/processes.ts';
import { promtoolCheckMetrics } from '../support/prometheus.ts';

const SERIAL = 2024110301;
const lab: ZoneSpec = {
  origin: 'lab.test',
  serial: SERIAL,
  records: [
    '@ NS ns1',
    '@ NS ns2',
    'ns1 A 127.0.0.11',
    'ns2 A 127.0.0.12',
    'www A 192.0.2.1',
    'www A 192.0.2.2',
    'alias 60 CNAME www',
    // 40 addresses: more than a 512-byte UDP reply holds, so it comes back truncated.
    ...Array.from({ length: 40 }, (_, i) => `big A 198.51.100.${i + 1}`),
  ],
};
const signed: ZoneSpec = { origin: 'signed.test', serial: 1, dnssec: true, records: ['@ NS ns1', 'ns1 A 127.0.0.12', 'www A 192.0.2.7'] };

let nsd: AuthoritativeServer;
let knot: AuthoritativeServer;
let both: { server: string; name: string; provider: string }[];

beforeAll(async () => {
  // One port on two loopback addresses, so NS discovery (names → glue addresses, one port) works.
  const port = await freePort();
  [nsd, knot] = await Promise.all([
    startNsd({ host: '127.0.0.11', port, zones: [lab], nsid: 'nsd-lab' }),
    startKnot({ host: '127.0.0.12', port, zones: [lab, signed], nsid: 'knot-lab', rrsigLifetime: '10d' }),
  ]);
  both = [
    { server: nsd.address, name: 'ns1', provider: 'nsd' },
    { server: knot.address, name: 'ns2', provider: 'knot' },
  ];
});

afterAll(async () => {
  await Promise.all([nsd?.close(), knot?.close()]);
});

const servers = (r: CheckResult) => dnsDetailsSchema.parse(r.details).nameservers;
const byName = (r: CheckResult) => Object.fromEntries(servers(r).map((s) => [s.nameserver, s])) as Record<string, DnsNameserverDetails>;

describe('DNS check against NSD and Knot serving the same zone', () => {
  it('queries every nameserver and reports each one: latency, rcode, flags, TTL, serial, NSID', async () => {
    const r = await runDns({
      query: { name: 'www.lab.test', type: 'A' },
      zone: 'lab.test',
      nameservers: both,
      expect: { answers: { exactly: ['192.0.2.2', '192.0.2.1'] }, ttl: { min: '1m', max: '1h' } },
    });
    expect(r).toMatchObject({ ok: true, reason: 'ok', message: '2 nameservers ok: 192.0.2.1 192.0.2.2, serial 2024110301' });
    expect(r.phases.total).toBeGreaterThan(0);
    const ns = byName(r);
    expect(ns.ns1).toMatchObject({
      provider: 'nsd',
      ok: true,
      rcode: 'NOERROR',
      flags: ['qr', 'aa'],
      ttl: 300,
      serial: SERIAL,
      nsid: 'nsd-lab',
      transport: 'udp',
      first_attempt: 'answer',
      final_attempt: 'answer',
    });
    expect(ns.ns2).toMatchObject({ provider: 'knot', ok: true, rcode: 'NOERROR', flags: ['qr', 'aa'], ttl: 300, serial: SERIAL, nsid: 'knot-lab' });
    for (const s of Object.values(ns)) expect(s.seconds).toBeGreaterThan(0);
    expect(r.assertions.filter((a) => a.name.startsWith('consistency'))).toEqual([
      expect.objectContaining({ name: 'consistency serial', ok: true }),
      expect.objectContaining({ name: 'consistency answers', ok: true }),
    ]);
  });

  it('follows a CNAME and checks the chain and its TTLs', async () => {
    const pass = await runDns({
      query: { name: 'alias.lab.test' },
      nameservers: both,
      expect: { cname: ['www.lab.test'], answers: { includes: ['192.0.2.1'] } },
    });
    expect(pass).toMatchObject({ ok: true, message: '2 nameservers ok: CNAME www.lab.test → 192.0.2.1 192.0.2.2, serial 2024110301' });
    const fail = await runDns({ query: { name: 'alias.lab.test' }, nameservers: both, expect: { ttl: { min: '2m' } } });
    expect(fail).toMatchObject({ ok: false, reason: 'assertion' });
    expect(fail.message).toBe('ns1 (nsd): ttl: expected 120.. s, got 60..300 s; ns2 (knot): ttl: expected 120.. s, got 60..300 s');
  });

  it('fails NXDOMAIN with reason rcode unless it is expected, and reads the SOA in the authority section', async () => {
    const r = await runDns({ query: { name: 'nope.lab.test' }, nameservers: both });
    expect(r).toMatchObject({ ok: false, reason: 'rcode' });
    expect(r.message).toContain('ns1 (nsd): rcode: expected [NOERROR], got NXDOMAIN');
    const negative = await runDns({
      query: { name: 'nope.lab.test' },
      nameservers: both,
      expect: { rcode: ['NXDOMAIN'], authority: { SOA: { match: '^ns1\\.lab\\.test hostmaster\\.lab\\.test 2024110301 ' } } },
    });
    expect(negative).toMatchObject({ ok: true, message: '2 nameservers ok: NXDOMAIN, serial 2024110301' });
  });

  it('checks the additional section (glue for the NS set)', async () => {
    const r = await runDns({
      query: { name: 'lab.test', type: 'NS' },
      nameservers: both,
      expect: { answers: { exactly: ['ns1.lab.test', 'ns2.lab.test'] }, additional: { A: { exactly: ['127.0.0.11', '127.0.0.12'] } } },
    });
    expect(r).toMatchObject({ ok: true, reason: 'ok' });
  });

  it('retries over TCP when the UDP reply is truncated, and records both tries', async () => {
    const r = await runDns({ query: { name: 'big.lab.test' }, nameservers: both, edns: { udp_size: 512 }, expect: { min_answers: 40 } });
    expect(r).toMatchObject({ ok: true, degraded: false });
    for (const s of servers(r)) {
      expect(s).toMatchObject({ first_attempt: 'truncated', final_attempt: 'answer', transport: 'tcp' });
      expect(s.attempts.map((a) => `${a.transport} ${a.outcome}`)).toEqual(['udp truncated', 'tcp answer']);
    }
    const tcp = await runDns({ query: { name: 'big.lab.test' }, nameservers: both, transport: 'tcp', edns: false });
    for (const s of servers(tcp)) expect(s.attempts.map((a) => `${a.transport} ${a.outcome}`)).toEqual(['tcp answer']);
  });

  it("discovers the nameservers from the zone's NS records and their glue", async () => {
    const r = await runDns({ query: { name: 'www.lab.test' }, zone: 'lab.test', nameservers: { discover: { via: [nsd.address], port: nsd.port } } });
    expect(r).toMatchObject({ ok: true });
    expect(r.phases.dns).toBeGreaterThan(0);
    expect(r.details.discovered).toEqual({ via: nsd.address, nameservers: ['ns1.lab.test', 'ns2.lab.test'] });
    expect(servers(r).map((s) => [s.nameserver, s.address])).toEqual([
      ['ns1.lab.test', '127.0.0.11'],
      ['ns2.lab.test', '127.0.0.12'],
    ]);
    const wrongZone = await runDns({ query: { name: 'www.lab.test' }, nameservers: { discover: { via: [nsd.address], port: nsd.port } } });
    expect(wrongZone).toMatchObject({ ok: false, reason: 'dns', message: expect.stringContaining('without NS records for www.lab.test') });
  });

  it("asserts the answers expected in the probe's region (traffic steering)", async () => {
    const spec = {
      query: { name: 'www.lab.test' },
      nameservers: both,
      expect: { answers: { includes: ['192.0.2.1'] }, per_region: { 'us-east': { answers: { exactly: ['203.0.113.10'] } } } },
    };
    expect(await runDns(spec, 'eu-west')).toMatchObject({ ok: true, region: 'eu-west' });
    const us = await runDns(spec, 'us-east');
    expect(us).toMatchObject({ ok: false, reason: 'assertion', region: 'us-east' });
    expect(us.message).toContain('ns1 (nsd): answers exactly: expected [203.0.113.10], got [192.0.2.1, 192.0.2.2]');
  });

  it('checks DNSSEC signatures from Knot: present, and valid for long enough', async () => {
    const ns2 = [both[1]];
    const ok = await runDns({ query: { name: 'www.signed.test' }, nameservers: ns2, dnssec: { min_validity: '1d' } });
    expect(ok).toMatchObject({ ok: true });
    expect(byName(ok).ns2!.rrsig_expires_at).toBeGreaterThan(Date.now() + 9 * 86_400_000);
    const soon = await runDns({ query: { name: 'www.signed.test' }, nameservers: ns2, dnssec: { min_validity: '30d' } });
    expect(soon).toMatchObject({
      ok: false,
      reason: 'assertion',
      message: expect.stringMatching(/^ns2 \(knot\): dnssec validity: expected valid now and for at least 30\.0 days, got expires \S+ \(in \d+\.\d days\)$/),
    });
    const negative = await runDns({ query: { name: 'nope.signed.test' }, nameservers: ns2, dnssec: {}, expect: { rcode: ['NXDOMAIN'] } });
    expect(negative).toMatchObject({ ok: true });
    const unsigned = await runDns({ query: { name: 'www.lab.test' }, nameservers: both, dnssec: {} });
    expect(unsigned).toMatchObject({ ok: false, reason: 'assertion' });
    expect(unsigned.message).toContain('ns1 (nsd): dnssec rrsig: expected an RRSIG over every RRset, got {"unsigned":["www.lab.test A"]}');
  });

  it('passes `vendorwatch check --json` while both servers agree', async () => {
    const { code, stdout } = await cli();
    expect(code).toBe(0);
    const results = stdout
      .trim()
      .split('\n')
      .map((l) => checkResultSchema.parse(JSON.parse(l)));
    expect(results.map((r) => [r.check, r.ok])).toEqual(
      expect.arrayContaining([
        ['lab-www', true],
        ['lab-soa', true],
      ]),
    );
  });

  it('names the nameserver that serves a newer serial, then the one that serves another answer', async () => {
    await knot.updateZone({ ...lab, serial: SERIAL + 1 });
    const serial = await runDns({ query: { name: 'www.lab.test' }, zone: 'lab.test', nameservers: both });
    expect(serial).toMatchObject({ ok: false, reason: 'inconsistent', message: 'ns1 (nsd) serves serial 2024110301, ns2 (knot) serves serial 2024110302' });
    expect(await runDns({ query: { name: 'www.lab.test' }, zone: 'lab.test', nameservers: both, consistency: { serial_spread: 1 } })).toMatchObject({
      ok: true,
    });

    await knot.updateZone({ ...lab, serial: SERIAL + 2, records: lab.records.map((r) => r.replace('www A 192.0.2.2', 'www A 192.0.2.99')) });
    const answers = await runDns({ query: { name: 'www.lab.test' }, zone: 'lab.test', nameservers: both, consistency: { serial: false } });
    expect(answers).toMatchObject({
      ok: false,
      reason: 'inconsistent',
      message: 'ns1 (nsd) answers 192.0.2.1 192.0.2.2, ns2 (knot) answers 192.0.2.1 192.0.2.99',
    });
    expect(byName(answers).ns2).toMatchObject({ ok: true, answers: expect.arrayContaining([expect.objectContaining({ data: '192.0.2.99' })]) });
  });

  it('reports the mismatch through `vendorwatch check --json` and the table', async () => {
    const { code, stdout } = await cli();
    expect(code).toBe(1);
    const results = Object.fromEntries(
      stdout
        .trim()
        .split('\n')
        .map((l) => checkResultSchema.parse(JSON.parse(l)))
        .map((r) => [r.check, r]),
    );
    expect(results['lab-soa']).toMatchObject({
      ok: false,
      reason: 'inconsistent',
      message: 'ns1 (nsd) serves serial 2024110301, ns2 (knot) serves serial 2024110303',
    });
    expect(results['lab-www']).toMatchObject({ ok: false, reason: 'assertion' });
    expect(results['lab-www']!.message).toContain('ns2 (knot): answers exactly: expected [192.0.2.1, 192.0.2.2], got [192.0.2.1, 192.0.2.99]');
    expect(results['lab-www']!.message).toContain('ns1 (nsd) answers 192.0.2.1 192.0.2.2, ns2 (knot) answers 192.0.2.1 192.0.2.99');
    expect(dnsDetailsSchema.parse(results['lab-www']!.details).nameservers.map((s) => [s.nameserver, s.ok])).toEqual([
      ['ns1', true],
      ['ns2', false],
    ]);
    const table = await cli(false);
    expect(table.stdout).toMatch(/lab-soa\s+lab-dns\s+dns\s+FAIL\s+inconsistent\s+\d+ms\s+ns1 \(nsd\) serves serial 2024110301/);
  });

  it('exports per-nameserver metrics that pass promtool', async () => {
    const r = await runDns({ query: { name: 'www.lab.test' }, zone: 'lab.test', nameservers: both, consistency: { answers: false } });
    recordCheckResult(r);
    const text = await registry.metrics();
    const where = 'vendor="lab-dns",check="dns-test",region="lab"';
    expect(text).toContain(`vendorwatch_dns_soa_serial{${where},nameserver="ns1"} 2024110301`);
    expect(text).toContain(`vendorwatch_dns_soa_serial{${where},nameserver="ns2"} 2024110303`);
    expect(text).toContain(`vendorwatch_dns_answer_ttl_seconds{${where},nameserver="ns2"} 300`);
    expect(text).toContain(`vendorwatch_dns_responses_total{${where},nameserver="ns1",rcode="NOERROR"} 1`);
    expect(text).toMatch(new RegExp(`vendorwatch_dns_lookup_duration_seconds_count\\{${where},nameserver="ns2"\\} 1`));
    expect(promtoolCheckMetrics(text)).toEqual({ status: 0, output: '' });
  });
});

const config = join(tempDir(), 'vendorwatch.yaml');

function cli(json = true) {
  const nameservers = `[{ server: "${nsd.address}", name: ns1, provider: nsd }, { server: "${knot.address}", name: ns2, provider: knot }]`;
  writeFileSync(
    config,
    `vendors: [{ name: lab-dns, kind: dns }]
checks:
  - { name: lab-soa, vendor: lab-dns, kind: dns, query: { name: lab.test, type: SOA }, nameservers: ${nameservers}, consistency: { answers: false } }
  - name: lab-www
    vendor: lab-dns
    kind: dns
    query: { name: www.lab.test, type: A }
    zone: lab.test
    nameservers: ${nameservers}
    consistency: { serial: false }
    expect: { answers: { exactly: [192.0.2.1, 192.0.2.2] } }
`,
  );
  return runCli(['check', ...(json ? ['--json'] : []), '--config', config]);
}
