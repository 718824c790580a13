/**
 * The `dns` check: asks a zone's authoritative nameservers directly — never a resolver, which
 * would hide which provider is wrong — every one of them on every run. Each nameserver gets its
 * own verdict (latency, rcode, flags, answers, serial); then they are compared with each other,
 * so a stale secondary or a second provider serving another answer fails as `inconsistent`.
 *
 * config → locate nameservers (list or NS discovery) → query each (query.ts) → assert each
 * (assertions.ts) → compare across them → one CheckResult with per-nameserver details.
 */
import { lookup, Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { Answer } from 'dns-packet';
import {
  nameserverName,
  parseServer,
  type DnsAttempt,
  type DnsCheck,
  type DnsDetails,
  type DnsExpectations,
  type DnsNameserverDetails,
  type DnsRecordDetails,
} from '../../../../config/checks/dns.ts';
import type { AssertionResult, Reason, ResultOfKind } from '../../../../config/result.ts';
import { assertReply, assertSameAnswers, assertSerials, describeFailure, expectationsFor, type ServerView } from './assertions.ts';
import { exchange, type QueryOptions, type Reply } from './query.ts';
import { answerChain, canonicalText, normalizeName, recordText, type AnswerChain } from './records.ts';
import { fail, newResult, type CheckContext } from '../check.ts';

type DnsResult = ResultOfKind<'dns'>;

type Failure = Exclude<Reason, 'ok'>;

/** A nameserver to ask, with its address once known. */
interface Nameserver {
  /** Its name in messages, details and the `nameserver` metric label. */
  name: string;
  provider?: string;
  /** As configured or discovered. */
  server: string;
  host: string;
  port: number;
  address?: string;
  /** Why it has no address. */
  problem?: { reason: Failure; message: string };
}

/** One nameserver's part of a run. */
interface Outcome {
  details: DnsNameserverDetails;
  assertions: AssertionResult[];
  view: ServerView;
}

const MAX_RECORDS_IN_DETAILS = 50;
const FLAGS = ['qr', 'aa', 'tc', 'rd', 'ra', 'ad', 'cd'] as const;

export async function runDnsCheck(check: DnsCheck, ctx: CheckContext): Promise<DnsResult> {
  const t0 = performance.now();
  const seconds = () => (performance.now() - t0) / 1000;
  const result = newResult(check, ctx.probe);
  const zone = normalizeName(check.zone ?? check.query.name);
  const details: DnsDetails = { query: { name: normalizeName(check.query.name), type: check.query.type }, zone, nameservers: [] };
  result.details = details;
  try {
    const located = await locate(check, zone, ctx.signal);
    if (located.resolved) result.phases.dns = seconds();
    if ('failure' in located) {
      result.phases.total = seconds();
      return fail(result, located.failure.reason, located.failure.message);
    }
    if (located.discovered) details.discovered = located.discovered;

    const expect = expectationsFor(check, ctx.probe.region);
    const outcomes = await Promise.all(located.nameservers.map((ns) => queryNameserver(ns, check, expect, zone, ctx.signal)));
    result.phases.total = seconds();
    details.nameservers = outcomes.map((o) => o.details);
    return verdict(result, check, outcomes);
  } catch (err) {
    result.phases.total = seconds();
    return fail(result, 'internal', `DNS check crashed: ${(err as Error)?.message ?? err}`);
  }
}

/** Each nameserver's verdict, then the comparisons across them, into one result. */
function verdict(result: DnsResult, check: DnsCheck, outcomes: Outcome[]): DnsResult {
  const answered = outcomes.filter((o) => o.details.rcode !== undefined);
  const across: { assertion: AssertionResult; message?: string }[] = [];
  if (answered.length > 1 && check.consistency.serial)
    across.push(
      assertSerials(
        answered.map((o) => o.view),
        check.consistency.serial_spread,
      ),
    );
  if (answered.length > 1 && check.consistency.answers) across.push(assertSameAnswers(answered.map((o) => o.view)));
  result.assertions = keepFailures([...outcomes.flatMap((o) => o.assertions), ...across.map((c) => c.assertion)], 200);

  const failing = outcomes.filter((o) => !o.details.ok);
  const inconsistencies = across.flatMap((c) => (c.message ? [c.message] : []));
  const problems = [...failing.map((o) => `${o.view.label}: ${o.details.message}`), ...inconsistencies];
  if (failing.length) return fail(result, failing[0]!.details.reason as Failure, problems.join('; '));
  if (inconsistencies.length) return fail(result, 'inconsistent', inconsistencies.join('; '));

  const slow = outcomes.filter((o) => o.details.degraded);
  if (slow.length) {
    result.degraded = true;
    result.message = slow.map((o) => `${o.view.label}: ${o.details.message}`).join('; ');
    return result;
  }
  const first = outcomes[0]!;
  const same = outcomes.every((o) => o.view.answer === first.view.answer);
  const serial = first.view.serial === undefined ? '' : `, serial ${first.view.serial}`;
  result.message = `${outcomes.length} nameserver${outcomes.length > 1 ? 's' : ''} ok${same ? `: ${first.view.answer}${serial}` : ''}`;
  return result;
}

/** At most `max` assertions, the failed ones first so none of them is dropped. */
function keepFailures(assertions: AssertionResult[], max: number): AssertionResult[] {
  if (assertions.length <= max) return assertions;
  return [...assertions.filter((a) => !a.ok), ...assertions.filter((a) => a.ok)].slice(0, max);
}

// --- Which nameservers, at which addresses ---

type Located =
  | { nameservers: Nameserver[]; discovered?: DnsDetails['discovered']; resolved: boolean }
  | { failure: { reason: Failure; message: string }; resolved: boolean };

async function locate(check: DnsCheck, zone: string, signal: AbortSignal): Promise<Located> {
  if (!Array.isArray(check.nameservers)) return discover(check, zone, check.nameservers.discover, signal);
  const list = check.nameservers.map((ns) => {
    const cfg = typeof ns === 'string' ? { server: ns } : ns;
    return { ...fromServer(cfg.server), name: nameserverName(ns), ...('provider' in cfg && cfg.provider && { provider: cfg.provider }) };
  });
  return {
    nameservers: await Promise.all(list.map((ns) => withAddress(ns, check.ip_version, signal))),
    resolved: list.some((ns) => !isIP(ns.host)),
  };
}

function fromServer(server: string): Nameserver {
  const { host, port } = parseServer(server)!;
  return { name: server, server, host, port };
}

/** Fills in the address: literal, from glue, or from the system resolver (which honours /etc/hosts). */
async function withAddress(ns: Nameserver, ipVersion: 4 | 6 | undefined, signal: AbortSignal, glue: string[] = []): Promise<Nameserver> {
  if (isIP(ns.host)) return { ...ns, address: ns.host };
  try {
    const candidates = glue.length ? glue : (await abortable(lookup(ns.host, { all: true }), signal)).map((a) => a.address);
    const address = ipVersion
      ? candidates.find((a) => isIP(a) === ipVersion)
      : (candidates.find((a) => isIP(a) === 4) ?? candidates.find((a) => isIP(a) === 6));
    if (address) return { ...ns, address };
    return { ...ns, problem: { reason: 'dns', message: `${ns.host} has no IPv${ipVersion ?? '4 or IPv6'} address` } };
  } catch (err) {
    // The message follows the nameserver's name; repeat the host only when that name is another.
    const what = ns.name === ns.host ? 'name lookup' : `name lookup of ${ns.host}`;
    if (signal.aborted) return { ...ns, problem: { reason: 'timeout', message: `${what}: stopped at the check timeout` } };
    return { ...ns, problem: { reason: 'dns', message: `${what} failed: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` } };
  }
}

/** The zone's NS records, from `via` servers (with their glue) or from the system resolver. */
async function discover(
  check: DnsCheck,
  zone: string,
  d: Extract<DnsCheck['nameservers'], { discover: unknown }>['discover'],
  signal: AbortSignal,
): Promise<Located> {
  let found: { names: string[]; glue: Map<string, string[]>; via: string } | undefined;
  let failure: { reason: Failure; message: string } = { reason: 'dns', message: 'no server to ask' };
  if (d.via) {
    for (const server of d.via) {
      const via = await withAddress(fromServer(server), check.ip_version, signal);
      if (!via.address) {
        failure = via.problem!;
        continue;
      }
      const { reply, attempts } = await exchange({ address: via.address, port: via.port }, { name: zone, type: 'NS' }, queryOptions(check, signal, false));
      if (!reply) {
        const last = attempts.at(-1)!;
        failure = { reason: outcomeReason(last.outcome), message: `${server}: ${triesSummary(attempts)}` };
        continue;
      }
      const names = (reply.answers ?? []).filter((a) => a.type === 'NS' && normalizeName(a.name) === zone).map(recordText);
      if (!names.length) {
        failure = { reason: 'dns', message: `${server} answered ${reply.rcode} without NS records for ${zone}` };
        continue;
      }
      const glue = new Map<string, string[]>();
      for (const a of reply.additionals ?? []) {
        if (a.type === 'A' || a.type === 'AAAA') glue.set(normalizeName(a.name), [...(glue.get(normalizeName(a.name)) ?? []), a.data]);
      }
      found = { names, glue, via: server };
      break;
    }
  } else {
    const resolver = new Resolver({ timeout: check.attempt_timeout, tries: check.attempts });
    const cancel = () => resolver.cancel();
    signal.addEventListener('abort', cancel, { once: true });
    try {
      found = { names: await resolver.resolveNs(zone), glue: new Map(), via: 'system resolver' };
    } catch (err) {
      failure = signal.aborted
        ? { reason: 'timeout', message: 'stopped at the check timeout' }
        : { reason: 'dns', message: `system resolver: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
    } finally {
      signal.removeEventListener('abort', cancel);
    }
  }
  if (!found) return { failure: { reason: failure.reason, message: `cannot discover the nameservers of ${zone}: ${failure.message}` }, resolved: true };
  const names = [...new Set(found.names.map(normalizeName))].sort().slice(0, d.max);
  const nameservers = await Promise.all(
    names.map((name) => withAddress({ name, server: name, host: name, port: d.port }, check.ip_version, signal, found.glue.get(name))),
  );
  return { nameservers, discovered: { via: found.via, nameservers: names }, resolved: true };
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(new Error('stopped at the check timeout'));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

// --- One nameserver ---

function queryOptions(check: DnsCheck, signal: AbortSignal, dnssec: boolean): QueryOptions {
  return {
    transport: check.transport,
    attempts: check.attempts,
    attemptTimeoutMs: check.attempt_timeout,
    edns: check.edns,
    dnssec,
    recursionDesired: check.recursion_desired,
    signal,
  };
}

async function queryNameserver(ns: Nameserver, check: DnsCheck, expect: DnsExpectations, zone: string, signal: AbortSignal): Promise<Outcome> {
  const label = ns.provider ? `${ns.name} (${ns.provider})` : ns.name;
  const base = {
    nameserver: ns.name,
    ...(ns.provider && { provider: ns.provider }),
    server: ns.server,
    ...(ns.address && { address: ns.address }),
    port: ns.port,
  };
  if (!ns.address) {
    const { reason, message } = ns.problem!;
    return { details: { ...base, ok: false, degraded: false, reason, message, attempts: [] }, assertions: [], view: { label } };
  }

  const target = { address: ns.address, port: ns.port };
  const question = { name: check.query.name, type: check.query.type };
  // The serial comes from an SOA query for the zone, unless that is what the check asks anyway.
  const serialFromMain = check.query.type === 'SOA' && normalizeName(check.query.name) === zone;
  const [main, soa] = await Promise.all([
    exchange(target, question, queryOptions(check, signal, check.dnssec !== undefined)),
    check.consistency.serial && !serialFromMain ? exchange(target, { name: zone, type: 'SOA' }, queryOptions(check, signal, false)) : undefined,
  ]);
  const attempts = main.attempts;
  const tried = {
    ...base,
    attempts,
    first_attempt: attempts[0]!.outcome,
    final_attempt: attempts.at(-1)!.outcome,
    transport: attempts.at(-1)!.transport,
    seconds: main.seconds,
  };
  if (!main.reply) {
    const reason = outcomeReason(attempts.at(-1)!.outcome);
    return { details: { ...tried, ok: false, degraded: false, reason, message: triesSummary(attempts) }, assertions: [], view: { label } };
  }

  const reply = main.reply;
  const chain = answerChain(reply.answers ?? [], question.name, question.type);
  const checked = assertReply(reply, question, expect, check.dnssec);
  const problems = checked.assertions.filter((a) => !a.ok).map(describeFailure);
  let reason: Failure | undefined = checked.reason;
  const serial = soaSerial(serialFromMain ? reply : soa?.reply);
  if (soa && !soa.reply) {
    reason ??= outcomeReason(soa.attempts.at(-1)!.outcome);
    problems.push(`SOA query for the serial: ${triesSummary(soa.attempts)}`);
  } else if (check.consistency.serial && serial === undefined) {
    reason ??= 'assertion';
    problems.push(`no SOA for ${zone} (${(soa?.reply ?? reply).rcode})`);
  }
  // A retry that worked still cost a lost try: passing, but degraded, and said so.
  const lost = attempts.slice(0, -1).filter((a) => a.outcome !== 'truncated');
  const degraded = !problems.length && lost.length > 0;
  const answer = describeAnswer(reply, chain, question.type);
  const message = problems.length
    ? problems.join(', ')
    : degraded
      ? `answered on try ${attempts.length} after ${lost.map((a) => `${a.transport} ${a.outcome}`).join(', ')}`
      : answer;
  const ttls = chain.records.map((r) => ('ttl' in r ? (r.ttl ?? 0) : 0));
  const nsid = nsidOf(reply);

  const details: DnsNameserverDetails = {
    ...tried,
    ok: problems.length === 0,
    degraded,
    reason: reason ?? 'ok',
    message,
    rcode: reply.rcode,
    flags: FLAGS.filter((f) => reply[`flag_${f}`]),
    answers: recordDetails(reply.answers),
    authority: recordDetails(reply.authorities),
    additional: recordDetails(reply.additionals),
    cname: chain.cname,
    ...(ttls.length && { ttl: Math.min(...ttls) }),
    ...(serial !== undefined && { serial }),
    ...(nsid && { nsid }),
    ...(checked.rrsigExpiresAt !== undefined && { rrsig_expires_at: checked.rrsigExpiresAt }),
  };
  const assertions = checked.assertions.map((a) => ({ ...a, name: `${ns.name}: ${a.name}` }));
  return { details, assertions, view: { label, answer, ...(serial !== undefined && { serial }) } };
}

function outcomeReason(outcome: DnsAttempt['outcome']): Failure {
  switch (outcome) {
    case 'timeout':
    case 'aborted':
      return 'timeout';
    case 'connect':
      return 'connect';
    case 'reset':
      return 'reset';
    default:
      return 'malformed';
  }
}

/** "no reply within 2000 ms over UDP (2 tries: udp timeout, udp timeout)" */
function triesSummary(attempts: DnsAttempt[]): string {
  const last = attempts.at(-1)!;
  const message = last.message ?? last.outcome;
  if (attempts.length === 1) return message;
  return `${message} (${attempts.length} tries: ${attempts.map((a) => `${a.transport} ${a.outcome}`).join(', ')})`;
}

/** What a nameserver answered, in words, identical for identical answers: "NXDOMAIN", "CNAME www.example.com → 192.0.2.1". */
function describeAnswer(reply: Reply, chain: AnswerChain, type: string): string {
  if (reply.rcode !== 'NOERROR') return reply.rcode;
  const values = [...new Set(chain.records.map((r) => canonicalText(type, recordText(r))))].sort();
  const text = values.length ? values.join(' ') : `no ${type} records`;
  const words = chain.cname.length ? `CNAME ${chain.cname.join(' → ')} → ${text}` : text;
  return words.length > 300 ? `${words.slice(0, 300)}…` : words;
}

function soaSerial(reply: Reply | undefined): number | undefined {
  if (!reply || (reply.rcode !== 'NOERROR' && reply.rcode !== 'NXDOMAIN')) return undefined;
  // At the apex the SOA is the answer; below it (NODATA, NXDOMAIN) it comes in the authority section.
  const soa = [...(reply.answers ?? []), ...(reply.authorities ?? [])].find((a) => a.type === 'SOA');
  return soa?.type === 'SOA' ? soa.data.serial : undefined;
}

function nsidOf(reply: Reply): string | undefined {
  const opt = reply.additionals?.find((a) => a.type === 'OPT');
  // dns-packet's types list no NSID option (code 3); it decodes it with its raw data.
  const options = (opt && 'options' in opt ? opt.options : []) as { code: number; data?: Buffer }[];
  const data = options.find((o) => o.code === 3)?.data;
  if (!data?.length) return undefined;
  const text = data.toString('utf8');
  return /^[\x20-\x7e]+$/.test(text) ? text : data.toString('hex');
}

function recordDetails(records: Answer[] | undefined): DnsRecordDetails[] {
  return (records ?? [])
    .filter((a) => a.type !== 'OPT')
    .slice(0, MAX_RECORDS_IN_DETAILS)
    .map((a) => ({ name: normalizeName(a.name), type: a.type, ttl: 'ttl' in a ? (a.ttl ?? 0) : 0, data: recordText(a) }));
}
