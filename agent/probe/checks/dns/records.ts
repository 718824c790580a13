/**
 * DNS records as text: the presentation form users write in config ("10 mx.example.com") and the
 * canonical form both sides are compared in. Also the CNAME chain of an answer section.
 */
import type { Answer } from 'dns-packet';

/** Lowercase, without the trailing dot ("WWW.Example.com." → "www.example.com"). */
export function normalizeName(name: string): string {
  const lower = name.toLowerCase();
  return lower.length > 1 && lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

const hex = (b: Buffer) => b.toString('hex').toUpperCase();
const txt = (data: unknown): string => (Array.isArray(data) ? data : [data]).map((s) => (Buffer.isBuffer(s) ? s.toString('utf8') : String(s))).join('');

/** The record's data in presentation form (TXT strings concatenated, RRSIG without its signature). */
export function recordText(a: Answer): string {
  switch (a.type) {
    case 'A':
    case 'AAAA':
      return a.data;
    case 'CNAME':
    case 'DNAME':
    case 'NS':
    case 'PTR':
      return normalizeName(a.data);
    case 'MX':
      return `${a.data.preference ?? 0} ${normalizeName(a.data.exchange)}`;
    case 'TXT':
      return txt(a.data);
    case 'SOA': {
      const d = a.data;
      return `${normalizeName(d.mname)} ${normalizeName(d.rname)} ${d.serial} ${d.refresh} ${d.retry} ${d.expire} ${d.minimum}`;
    }
    case 'SRV':
      return `${a.data.priority ?? 0} ${a.data.weight ?? 0} ${a.data.port} ${normalizeName(a.data.target)}`;
    case 'CAA':
      return `${a.data.flags ?? 0} ${a.data.tag} ${a.data.value}`;
    case 'DS':
      return `${a.data.keyTag} ${a.data.algorithm} ${a.data.digestType} ${hex(a.data.digest)}`;
    case 'DNSKEY':
      return `${a.data.flags} 3 ${a.data.algorithm} ${a.data.key.toString('base64')}`;
    case 'RRSIG': {
      const d = a.data;
      return `${d.typeCovered} ${d.algorithm} ${d.labels} ${d.originalTTL} ${d.expiration} ${d.inception} ${d.keyTag} ${normalizeName(d.signersName)}`;
    }
    case 'NSEC':
      return `${normalizeName(a.data.nextDomain)} ${a.data.rrtypes.join(' ')}`;
    case 'NSEC3':
      return `${a.data.algorithm} ${a.data.flags} ${a.data.iterations} ${hex(a.data.salt) || '-'} ${hex(a.data.nextDomain)} ${a.data.rrtypes.join(' ')}`;
    case 'HINFO':
      return `${a.data.cpu} ${a.data.os}`;
    case 'NAPTR': {
      const d = a.data;
      return `${d.order} ${d.preference} ${d.flags} ${d.services} ${d.regexp} ${normalizeName(d.replacement)}`;
    }
    case 'SSHFP':
      return `${a.data.algorithm} ${a.data.hash} ${a.data.fingerprint}`;
    case 'TLSA':
      return `${a.data.usage} ${a.data.selector} ${a.data.matchingType} ${hex(a.data.certificate)}`;
    case 'OPT':
      return '';
    default:
      return Buffer.isBuffer(a.data) ? hex(a.data) : JSON.stringify(a.data);
  }
}

/** An IPv6 address in its canonical compressed form, via the WHATWG URL parser. */
function canonicalIpv6(text: string): string {
  try {
    return new URL(`http://[${text}]/`).hostname.slice(1, -1);
  } catch {
    return text;
  }
}

/**
 * The form two records are compared in: addresses canonical, names lowercase without trailing
 * dots, whitespace collapsed. TXT stays byte for byte.
 */
export function canonicalText(type: string, text: string): string {
  if (type === 'TXT') return text;
  if (type === 'AAAA') return canonicalIpv6(text.trim().toLowerCase());
  return text
    .trim()
    .split(/\s+/)
    .map((token) => normalizeName(token))
    .join(' ');
}

export interface AnswerChain {
  /** CNAME targets followed from the query name, in order. */
  cname: string[];
  /** The records of the queried type owned by the end of the chain. */
  records: Answer[];
  /** Answer records that belong to neither the chain nor its end (other than DNAME and signatures). */
  strays: Answer[];
}

/** Follows CNAMEs in the answer section from the query name (an authoritative server only follows them inside its zones). */
export function answerChain(answers: readonly Answer[], qname: string, qtype: string): AnswerChain {
  const owners = new Set([normalizeName(qname)]);
  const cname: string[] = [];
  let end = normalizeName(qname);
  if (qtype !== 'CNAME') {
    for (let hop = 0; hop < 16; hop++) {
      const next = answers.find((a) => a.type === 'CNAME' && normalizeName(a.name) === end);
      const target = next ? recordText(next) : undefined;
      if (target === undefined || owners.has(target)) break;
      end = target;
      owners.add(end);
      cname.push(end);
    }
  }
  const records = answers.filter((a) => a.type === qtype && normalizeName(a.name) === end);
  const strays = answers.filter((a) => a.type !== 'DNAME' && a.type !== 'RRSIG' && a.type !== 'OPT' && !owners.has(normalizeName(a.name)));
  return { cname, records, strays };
}
