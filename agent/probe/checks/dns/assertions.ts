/**
 * What a DNS check asserts: on one nameserver's reply (rcode, AA, answers, CNAME chain, TTLs,
 * authority and additional sections, DNSSEC signatures), and across nameservers (SOA serials,
 * answers). Pure functions of replies; the check decides what a failure means.
 */
import { BlockList, isIP } from 'node:net';
import type { Answer } from 'dns-packet';
import type { DnsCheck, DnsExpectations, RecordSetExpectation } from '../../../../config/checks/dns.ts';
import type { AssertionResult } from '../../../../config/result.ts';
import type { Reply } from './query.ts';
import { answerChain, canonicalText, recordText } from './records.ts';

/** The expectations that apply to a probe in `region`: the check's, with that region's fields replacing them. */
export function expectationsFor(check: DnsCheck, region: string): DnsExpectations {
  const { per_region, ...base } = check.expect;
  return { ...base, ...per_region?.[region] };
}

interface ReplyVerdict {
  assertions: AssertionResult[];
  /** Set when an assertion failed: `rcode` when the response code was wrong, else `assertion`. */
  reason?: 'rcode' | 'assertion';
  /** Earliest expiry of the signatures checked, ms since the epoch. */
  rrsigExpiresAt?: number;
}

/** Every assertion on one reply to `qname qtype`. */
export function assertReply(
  reply: Reply,
  question: { name: string; type: string },
  e: DnsExpectations,
  dnssec: DnsCheck['dnssec'],
  now = Date.now(),
): ReplyVerdict {
  const out: AssertionResult[] = [];
  const rcodes = e.rcode ?? ['NOERROR'];
  out.push({ name: 'rcode', ok: rcodes.includes(reply.rcode as never), expected: rcodes, actual: reply.rcode });
  const rcodeOk = out[0]!.ok;

  if (e.authoritative ?? true)
    out.push({ name: 'authoritative', ok: reply.flag_aa, expected: 'AA flag set', actual: reply.flag_aa ? 'AA flag set' : 'AA flag clear' });

  const answers = (reply.answers ?? []).filter((a) => a.type !== 'OPT');
  const chain = answerChain(answers, question.name, question.type);
  const minAnswers = e.min_answers ?? (reply.rcode === 'NOERROR' ? 1 : 0);
  if (minAnswers > 0) {
    out.push({ name: 'min_answers', ok: chain.records.length >= minAnswers, expected: `at least ${minAnswers}`, actual: chain.records.length });
  }
  if (e.answers) out.push(...assertRecordSet('answers', question.type, chain.records, e.answers));
  if (e.cname) {
    const expected = e.cname.map((n) => canonicalText('CNAME', n));
    out.push({ name: 'cname', ok: sameList(expected, chain.cname), expected, actual: chain.cname });
  }
  if (e.ttl)
    out.push(
      assertTtl(
        answers.filter((a) => a.type !== 'RRSIG'),
        e.ttl,
      ),
    );
  for (const [section, records, expected] of [
    ['authority', reply.authorities ?? [], e.authority],
    ['additional', reply.additionals ?? [], e.additional],
  ] as const) {
    for (const [type, set] of Object.entries(expected ?? {})) {
      if (set)
        out.push(
          ...assertRecordSet(
            `${section} ${type}`,
            type,
            records.filter((r) => r.type === type),
            set,
          ),
        );
    }
  }

  let rrsigExpiresAt: number | undefined;
  if (dnssec) {
    const signatures = assertSignatures(reply, dnssec, now);
    out.push(...signatures.assertions);
    rrsigExpiresAt = signatures.expiresAt;
  }
  const failed = out.some((a) => !a.ok);
  return { assertions: out, ...(failed && { reason: rcodeOk ? 'assertion' : 'rcode' }), ...(rrsigExpiresAt !== undefined && { rrsigExpiresAt }) };
}

/** Assertions on the records of one type, compared in canonical form. */
function assertRecordSet(label: string, type: string, records: readonly Answer[], e: RecordSetExpectation): AssertionResult[] {
  const texts = records.map(recordText);
  const actual = [...new Set(texts.map((t) => canonicalText(type, t)))].sort();
  const canon = (values: readonly string[]) => [...new Set(values.map((v) => canonicalText(type, v)))].sort();
  const out: AssertionResult[] = [];
  if (e.exactly) {
    const expected = canon(e.exactly);
    out.push({ name: `${label} exactly`, ok: sameList(expected, actual), expected, actual });
  }
  if (e.includes) {
    const expected = canon(e.includes);
    const missing = expected.filter((v) => !actual.includes(v));
    out.push({ name: `${label} includes`, ok: missing.length === 0, expected, actual });
  }
  if (e.any_of) {
    const expected = canon(e.any_of);
    out.push({ name: `${label} any_of`, ok: expected.some((v) => actual.includes(v)), expected, actual });
  }
  if (e.match !== undefined) {
    const re = new RegExp(e.match);
    const misses = texts.filter((t) => !re.test(t));
    out.push({ name: `${label} match`, ok: misses.length === 0, expected: `every record matches /${e.match}/`, actual: misses.length ? misses : texts });
  }
  if (e.cidr) {
    const networks = new BlockList();
    for (const cidr of e.cidr) {
      const [net, prefix] = cidr.split('/') as [string, string];
      networks.addSubnet(net, Number(prefix), isIP(net) === 6 ? 'ipv6' : 'ipv4');
    }
    const outside = texts.filter((t) => {
      const family = isIP(t);
      return !family || !networks.check(t, family === 6 ? 'ipv6' : 'ipv4');
    });
    out.push({ name: `${label} cidr`, ok: outside.length === 0, expected: e.cidr, actual: outside.length ? outside : texts });
  }
  return out;
}

function assertTtl(records: readonly Answer[], bounds: NonNullable<DnsExpectations['ttl']>): AssertionResult {
  const ttls = records.map((r) => ('ttl' in r ? (r.ttl ?? 0) : 0));
  const lo = bounds.min === undefined ? 0 : bounds.min / 1000;
  const hi = bounds.max === undefined ? Infinity : bounds.max / 1000;
  const outside = ttls.filter((t) => t < lo || t > hi);
  const range = ttls.length ? `${Math.min(...ttls)}..${Math.max(...ttls)} s` : 'no records';
  const expected = `${lo}..${hi === Infinity ? '' : hi} s`;
  return { name: 'ttl', ok: outside.length === 0, expected, actual: range };
}

/** RRSIGs over every RRset of the answer (or the SOA of a negative answer), valid long enough. */
function assertSignatures(reply: Reply, dnssec: NonNullable<DnsCheck['dnssec']>, now: number): { assertions: AssertionResult[]; expiresAt?: number } {
  const out: AssertionResult[] = [];
  const answers = reply.answers ?? [];
  const signedSection = answers.some((a) => a.type !== 'RRSIG') ? answers : (reply.authorities ?? []).filter((a) => a.type === 'SOA' || a.type === 'RRSIG');
  const rrsets = new Map<string, { name: string; type: string }>();
  for (const a of signedSection) if (a.type !== 'RRSIG') rrsets.set(`${a.name.toLowerCase()} ${a.type}`, { name: a.name, type: a.type });
  const sigs = signedSection.flatMap((a) => (a.type === 'RRSIG' ? [{ owner: a.name.toLowerCase(), ...a.data }] : []));
  const covering = (set: { name: string; type: string }) => sigs.filter((s) => s.owner === set.name.toLowerCase() && s.typeCovered === set.type);
  if (dnssec.rrsig) {
    const unsigned = [...rrsets.values()].filter((set) => covering(set).length === 0).map((set) => `${set.name} ${set.type}`);
    out.push({
      name: 'dnssec rrsig',
      ok: rrsets.size > 0 && unsigned.length === 0,
      expected: 'an RRSIG over every RRset',
      actual: rrsets.size ? (unsigned.length ? { unsigned } : 'all signed') : 'nothing to sign',
    });
  }
  const relevant = [...rrsets.values()].flatMap(covering);
  if (!relevant.length) return { assertions: out };
  // RRSIG times are seconds since the epoch (mod 2^32, RFC 4034 §3.1.5; unambiguous until 2106).
  const expiresAt = Math.min(...relevant.map((s) => s.expiration * 1000));
  const notYet = relevant.filter((s) => s.inception * 1000 > now);
  const days = (ms: number) => `${(ms / 86_400_000).toFixed(1)} days`;
  out.push({
    name: 'dnssec validity',
    ok: expiresAt - now >= dnssec.min_validity && notYet.length === 0,
    expected: `valid now and for at least ${days(dnssec.min_validity)}`,
    actual: notYet.length
      ? `signature valid only from ${new Date(notYet[0]!.inception * 1000).toISOString()}`
      : `expires ${new Date(expiresAt).toISOString()} (${expiresAt > now ? `in ${days(expiresAt - now)}` : 'expired'})`,
  });
  return { assertions: out, expiresAt };
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** "answers exactly: expected [a, b], got [c]" */
export function describeFailure(a: AssertionResult): string {
  const show = (v: unknown) => (Array.isArray(v) ? `[${v.join(', ')}]` : typeof v === 'string' ? v : JSON.stringify(v));
  return `${a.name}: expected ${show(a.expected)}, got ${show(a.actual)}`;
}

// --- Across nameservers ---

export interface ServerView {
  /** "ns2 (provider-b)" */
  label: string;
  serial?: number;
  /** What it answered, in words ("192.0.2.1 192.0.2.2", "NXDOMAIN", "CNAME www.example.com → 192.0.2.1"). */
  answer?: string;
}

/** Signed distance a − b in RFC 1982 serial arithmetic. */
function serialDiff(a: number, b: number): number {
  return (a - b) | 0;
}

/** Serials equal (or within `spread`) everywhere; names which nameservers serve which serial. */
export function assertSerials(servers: readonly ServerView[], spread: number): { assertion: AssertionResult; message?: string } {
  const withSerial = servers.filter((s): s is ServerView & { serial: number } => s.serial !== undefined);
  const serials = [...new Set(withSerial.map((s) => s.serial))].sort(serialDiff);
  const actual = Object.fromEntries(withSerial.map((s) => [s.label, s.serial]));
  const width = serials.length ? serialDiff(serials.at(-1)!, serials[0]!) : 0;
  const assertion = { name: 'consistency serial', ok: width <= spread, expected: spread ? `serials within ${spread}` : 'one serial', actual };
  if (assertion.ok) return { assertion };
  // Oldest first: the stale nameservers are what someone has to go and fix.
  const groups = serials.map((serial) => {
    const labels = withSerial.filter((s) => s.serial === serial).map((s) => s.label);
    return `${labels.join(', ')} serve${labels.length > 1 ? '' : 's'} serial ${serial}`;
  });
  return { assertion, message: groups.join(', ') };
}

/** Every nameserver gives the same answer; the odd ones out are named first. */
export function assertSameAnswers(servers: readonly ServerView[]): { assertion: AssertionResult; message?: string } {
  const withAnswer = servers.filter((s): s is ServerView & { answer: string } => s.answer !== undefined);
  const groups = new Map<string, string[]>();
  for (const s of withAnswer) groups.set(s.answer, [...(groups.get(s.answer) ?? []), s.label]);
  const actual = Object.fromEntries(withAnswer.map((s) => [s.label, s.answer]));
  const assertion = { name: 'consistency answers', ok: groups.size <= 1, expected: 'the same answer from every nameserver', actual };
  if (assertion.ok) return { assertion };
  const ordered = [...groups].sort((a, b) => a[1].length - b[1].length);
  return { assertion, message: ordered.map(([answer, labels]) => `${labels.join(', ')} answer${labels.length > 1 ? '' : 's'} ${answer}`).join(', ') };
}
