import dnsPacket, { type Answer, type Packet } from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { dnsCheckSchema, parseServer } from '../../config/checks/dns.ts';
import { parseConfig, ConfigError } from '../../config/load.ts';
import { assertReply, assertSameAnswers, assertSerials, expectationsFor } from '../../agent/probe/checks/dns/assertions.ts';
import { readReply, type Reply } from '../../agent/probe/checks/dns/query.ts';
import { answerChain, canonicalText, recordText } from '../../agent/probe/checks/dns/records.ts';

const ID = 4242;
const question = { name: 'www.example.com', type: 'A' as const };

/** A reply as a server would send it, through the same decoder and vetting the check uses. */
function reply(packet: Partial<Packet> & { rcode?: number }, asked: { name: string; type: 'A' | 'SOA' | 'MX' | 'TXT' } = question): Reply {
  const { rcode = 0, ...rest } = packet;
  const buf = dnsPacket.encode({ type: 'response', id: ID, flags: dnsPacket.AUTHORITATIVE_ANSWER | rcode, questions: [{ ...asked, class: 'IN' }], ...rest });
  const read = readReply(buf, { id: ID, ...asked });
  if (read.problem !== undefined) throw new Error(read.problem);
  return read.reply;
}

const a = (name: string, data: string, ttl = 300): Answer => ({ name, type: 'A', ttl, data });
const check = (extra: Record<string, unknown> = {}) =>
  dnsCheckSchema.parse({ name: 'ns', vendor: 'acme-dns', kind: 'dns', query: question, nameservers: ['192.0.2.53'], ...extra });

describe('dns check config', () => {
  it('accepts the minimal form (the contract in docs/architecture.md) and fills defaults', () => {
    const c = check();
    expect(c).toMatchObject({
      transport: 'udp',
      attempts: 2,
      attempt_timeout: 2000,
      edns: { udp_size: 1232, nsid: true },
      consistency: { serial: true, answers: true },
    });
  });

  it('parses nameservers: names, IPv4 and IPv6 with optional ports', () => {
    expect(parseServer('ns1.acmedns.net')).toEqual({ host: 'ns1.acmedns.net', port: 53 });
    expect(parseServer('192.0.2.53:5353')).toEqual({ host: '192.0.2.53', port: 5353 });
    expect(parseServer('[::1]:5353')).toEqual({ host: '::1', port: 5353 });
    expect(parseServer('2001:db8::53')).toEqual({ host: '2001:db8::53', port: 53 });
    expect(parseServer('[2001:db8::53]')).toEqual({ host: '2001:db8::53', port: 53 });
    for (const bad of ['', 'ns1..example', '192.0.2.53:0', '192.0.2.53:70000', '[192.0.2.53]:53', 'http://ns1', '::1:53:x']) {
      expect(parseServer(bad), bad).toBeUndefined();
    }
  });

  it('points at mistakes with file, line and path', () => {
    const text = `vendors: [{ name: acme-dns }]
checks:
  - name: ns
    vendor: acme-dns
    kind: dns
    query: { name: example.com, type: AXFR }
    nameservers: ["ns1.acmedns.net", "192.0.2.53:99999"]
    edns: false
    dnssec: {}
    expect: { answers: { cidr: ["192.0.2.0/33"], match: "(" } }
`;
    let problems: ConfigError['problems'] = [];
    try {
      parseConfig(text, 'dns.yaml', {});
    } catch (err) {
      problems = (err as ConfigError).problems;
    }
    const byPath = Object.fromEntries(problems.map((p) => [p.path, p]));
    expect(byPath['checks[0].query.type']).toMatchObject({ line: 6 });
    expect(byPath['checks[0].nameservers[1]']?.message).toContain('expected a nameserver like');
    expect(byPath['checks[0].expect.answers.cidr[0]']?.message).toContain('expected a network');
    expect(byPath['checks[0].expect.answers.match']?.message).toContain('regular expression');
    expect(Object.keys(byPath)).toHaveLength(4);
  });

  it('rejects DNSSEC without EDNS, and duplicate nameservers', () => {
    expect(() => check({ edns: false, dnssec: {} })).toThrow(/dnssec needs EDNS/);
    expect(() => check({ nameservers: ['ns1.example.net', { server: '192.0.2.1', name: 'ns1.example.net' }] })).toThrow(/duplicate nameserver/);
  });

  it('takes expectations per probe region, field by field', () => {
    const c = check({ expect: { min_answers: 2, answers: { exactly: ['192.0.2.1'] }, per_region: { 'us-east': { answers: { exactly: ['198.51.100.1'] } } } } });
    expect(expectationsFor(c, 'eu-west')).toEqual({ min_answers: 2, answers: { exactly: ['192.0.2.1'] } });
    expect(expectationsFor(c, 'us-east')).toEqual({ min_answers: 2, answers: { exactly: ['198.51.100.1'] } });
  });
});

describe('records', () => {
  it('writes records in presentation form and compares them canonically', () => {
    const r = reply(
      { answers: [{ name: 'www.example.com', type: 'MX', ttl: 60, data: { preference: 10, exchange: 'MX.Example.com' } }] },
      { name: 'www.example.com', type: 'MX' },
    );
    expect(recordText(r.answers![0]!)).toBe('10 mx.example.com');
    expect(canonicalText('MX', ' 10   MX.example.COM. ')).toBe('10 mx.example.com');
    expect(canonicalText('AAAA', '2001:0DB8:0000::0001')).toBe('2001:db8::1');
    expect(canonicalText('TXT', 'v=spf1 -ALL')).toBe('v=spf1 -ALL');
  });

  it('follows the CNAME chain and spots records for unrelated names', () => {
    const answers: Answer[] = [
      { name: 'www.example.com', type: 'CNAME', ttl: 60, data: 'edge.example.net' },
      { name: 'edge.example.net', type: 'CNAME', ttl: 60, data: 'pop1.example.net' },
      a('pop1.example.net', '192.0.2.7'),
      a('elsewhere.example.org', '192.0.2.66'),
    ];
    const chain = answerChain(answers, 'WWW.example.com.', 'A');
    expect(chain.cname).toEqual(['edge.example.net', 'pop1.example.net']);
    expect(chain.records.map(recordText)).toEqual(['192.0.2.7']);
    expect(chain.strays.map((s) => s.name)).toEqual(['elsewhere.example.org']);
  });
});

describe('reading replies', () => {
  const good = () =>
    dnsPacket.encode({ type: 'response', id: ID, flags: dnsPacket.AUTHORITATIVE_ANSWER, questions: [question], answers: [a(question.name, '192.0.2.1')] });
  const problem = (buf: Buffer, asked = question) => {
    const read = readReply(buf, { id: ID, ...asked });
    return read.problem;
  };

  it('accepts a matching reply and names what is wrong with others', () => {
    expect(problem(good())).toBeUndefined();
    expect(problem(good(), { name: 'WWW.EXAMPLE.COM.', type: 'A' })).toBeUndefined();
    expect(problem(Buffer.concat([good(), Buffer.from([0, 0])]))).toBe('2 stray bytes after the end of the reply');
    expect(problem(good().subarray(0, 30))).toMatch(/^reply ends early|^undecodable reply/);
    expect(problem(Buffer.from('not dns at all, really not'))).toMatch(/^undecodable reply \(26 bytes\)/);
    expect(problem(dnsPacket.encode({ type: 'query', id: ID, questions: [question] }))).toBe('not a response (QR bit clear)');
    expect(problem(dnsPacket.encode({ type: 'response', id: ID + 1, questions: [question] }))).toBe(`reply id ${ID + 1} does not match query id ${ID}`);
    expect(problem(dnsPacket.encode({ type: 'response', id: ID, questions: [{ name: 'other.example', type: 'A' }] }))).toBe(
      'answer for other.example A, asked for www.example.com A',
    );
    expect(problem(dnsPacket.encode({ type: 'response', id: ID, questions: [question], answers: [a('other.example', '192.0.2.9')] }))).toBe(
      'answer section holds other.example A, unrelated to www.example.com A',
    );
  });

  it('folds the EDNS extended rcode into the rcode', () => {
    const r = reply({
      additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, extendedRcode: 1, ednsVersion: 0, flags: 0, flag_do: false, options: [] }],
    });
    expect(r.rcode).toBe('BADVERS');
  });
});

describe('assertions on one reply', () => {
  const names = (v: ReturnType<typeof assertReply>) => v.assertions.filter((x) => !x.ok).map((x) => x.name);

  it('passes a plain authoritative answer with the defaults', () => {
    const v = assertReply(reply({ answers: [a(question.name, '192.0.2.1')] }), question, {}, undefined);
    expect(v.reason).toBeUndefined();
    expect(v.assertions.map((x) => x.name)).toEqual(['rcode', 'authoritative', 'min_answers']);
  });

  it('fails a wrong rcode with reason rcode, anything else with reason assertion', () => {
    expect(assertReply(reply({ rcode: 3 }), question, {}, undefined)).toMatchObject({ reason: 'rcode' });
    expect(assertReply(reply({ rcode: 3 }), question, { rcode: ['NXDOMAIN'] }, undefined).reason).toBeUndefined();
    const nodata = assertReply(reply({}), question, {}, undefined);
    expect(nodata.reason).toBe('assertion');
    expect(names(nodata)).toEqual(['min_answers']);
    expect(assertReply(reply({}), question, { min_answers: 0 }, undefined).reason).toBeUndefined();
  });

  it('checks the answer set: exactly, includes, any_of, match and cidr', () => {
    const r = reply({ answers: [a(question.name, '192.0.2.1'), a(question.name, '192.0.2.2')] });
    const pass = assertReply(
      r,
      question,
      {
        answers: {
          exactly: ['192.0.2.2', '192.0.2.1'],
          includes: ['192.0.2.1'],
          any_of: ['192.0.2.2', '198.51.100.1'],
          match: '^192\\.0\\.2\\.',
          cidr: ['192.0.2.0/24'],
        },
      },
      undefined,
    );
    expect(pass.reason).toBeUndefined();
    const fail = assertReply(
      r,
      question,
      { answers: { exactly: ['192.0.2.1'], includes: ['192.0.2.3'], any_of: ['198.51.100.1'], match: '\\.1$', cidr: ['192.0.2.0/31'] } },
      undefined,
    );
    expect(names(fail)).toEqual(['answers exactly', 'answers includes', 'answers any_of', 'answers match', 'answers cidr']);
    expect(fail.assertions.find((x) => x.name === 'answers cidr')).toMatchObject({ actual: ['192.0.2.2'] });
  });

  it('checks the CNAME chain, TTL bounds and the AA flag', () => {
    const r = reply({ answers: [{ name: question.name, type: 'CNAME', ttl: 30, data: 'edge.example.net' }, a('edge.example.net', '192.0.2.7', 20)] });
    expect(assertReply(r, question, { cname: ['edge.example.net.'], ttl: { min: 10_000, max: 60_000 } }, undefined).reason).toBeUndefined();
    const v = assertReply(r, question, { cname: [], ttl: { min: 25_000 } }, undefined);
    expect(names(v)).toEqual(['cname', 'ttl']);
    expect(v.assertions.find((x) => x.name === 'ttl')).toMatchObject({ expected: '25.. s', actual: '20..30 s' });
    const notAuthoritative = readReply(dnsPacket.encode({ type: 'response', id: ID, questions: [question], answers: [a(question.name, '192.0.2.1')] }), {
      id: ID,
      ...question,
    });
    expect(names(assertReply((notAuthoritative as { reply: Reply }).reply, question, {}, undefined))).toEqual(['authoritative']);
  });

  it('checks records by type in the authority and additional sections', () => {
    const r = reply({
      answers: [a(question.name, '192.0.2.1')],
      authorities: [{ name: 'example.com', type: 'NS', ttl: 300, data: 'ns1.example.com' }],
      additionals: [a('ns1.example.com', '192.0.2.53')],
    });
    expect(
      assertReply(r, question, { authority: { NS: { exactly: ['NS1.example.com.'] } }, additional: { A: { includes: ['192.0.2.53'] } } }, undefined).reason,
    ).toBeUndefined();
    expect(names(assertReply(r, question, { authority: { NS: { includes: ['ns2.example.com'] }, SOA: { exactly: [] } } }, undefined))).toEqual([
      'authority NS includes',
    ]);
  });

  it('checks that signatures are present and not about to expire', () => {
    const now = Date.UTC(2024, 10, 3);
    const sig = (expiresInDays: number, typeCovered = 'A'): Answer => ({
      name: question.name,
      type: 'RRSIG',
      ttl: 300,
      data: {
        typeCovered,
        algorithm: 13,
        labels: 3,
        originalTTL: 300,
        expiration: now / 1000 + expiresInDays * 86_400,
        inception: now / 1000 - 3600,
        keyTag: 1,
        signersName: 'example.com',
        signature: Buffer.alloc(64),
      },
    });
    const dnssec = { rrsig: true, min_validity: 3 * 86_400_000 };
    const signed = assertReply(reply({ answers: [a(question.name, '192.0.2.1'), sig(10)] }), question, {}, dnssec, now);
    expect(signed.reason).toBeUndefined();
    expect(signed.rrsigExpiresAt).toBe(now + 10 * 86_400_000);
    expect(names(assertReply(reply({ answers: [a(question.name, '192.0.2.1'), sig(2)] }), question, {}, dnssec, now))).toEqual(['dnssec validity']);
    expect(names(assertReply(reply({ answers: [a(question.name, '192.0.2.1'), sig(10, 'AAAA')] }), question, {}, dnssec, now))).toEqual(['dnssec rrsig']);
  });
});

describe('consistency across nameservers', () => {
  it('names which nameservers serve which serial, oldest first', () => {
    const views = [
      { label: 'ns1 (provider-a)', serial: 2024110302 },
      { label: 'ns2 (provider-b)', serial: 2024110301 },
      { label: 'ns3 (provider-a)', serial: 2024110302 },
    ];
    expect(assertSerials(views, 0).message).toBe('ns2 (provider-b) serves serial 2024110301, ns1 (provider-a), ns3 (provider-a) serve serial 2024110302');
    expect(assertSerials(views, 1).message).toBeUndefined();
  });

  it('compares serials in serial-number arithmetic across the wrap', () => {
    const { assertion, message } = assertSerials(
      [
        { label: 'a', serial: 4294967295 },
        { label: 'b', serial: 1 },
      ],
      1,
    );
    expect(assertion.ok).toBe(false);
    expect(message).toBe('a serves serial 4294967295, b serves serial 1');
    expect(
      assertSerials(
        [
          { label: 'a', serial: 4294967295 },
          { label: 'b', serial: 1 },
        ],
        2,
      ).assertion.ok,
    ).toBe(true);
  });

  it('names the odd ones out first when answers differ', () => {
    const { message } = assertSameAnswers([
      { label: 'ns1', answer: '192.0.2.1' },
      { label: 'ns2', answer: '192.0.2.1' },
      { label: 'ns3 (provider-b)', answer: 'NXDOMAIN' },
    ]);
    expect(message).toBe('ns3 (provider-b) answers NXDOMAIN, ns1, ns2 answer 192.0.2.1');
  });
});
