import { isIP } from 'node:net';
import { z } from 'zod';
import { duration } from '../duration.ts';
import { nameSchema, reasonSchema } from '../terms.ts';
import { commonCheckFields } from './common.ts';

/** Record types the check can ask for and read (the ones dns-packet decodes). */
const recordTypes = [
  'A',
  'AAAA',
  'CAA',
  'CDNSKEY',
  'CDS',
  'CNAME',
  'DNAME',
  'DNSKEY',
  'DS',
  'HINFO',
  'MX',
  'NAPTR',
  'NS',
  'NSEC',
  'NSEC3',
  'PTR',
  'RRSIG',
  'SOA',
  'SRV',
  'SSHFP',
  'TLSA',
  'TXT',
] as const;
export const rcodes = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED', 'YXDOMAIN', 'YXRRSET', 'NXRRSET', 'NOTAUTH', 'NOTZONE'] as const;
/** Most nameservers one check queries (configured or discovered); also bounds the metric labels. */
const MAX_NAMESERVERS = 16;

const LABEL = /^(?:[a-z0-9_*](?:[a-z0-9_-]{0,61}[a-z0-9_])?)$/i;

function isDomainName(text: string): boolean {
  const name = text.endsWith('.') ? text.slice(0, -1) : text;
  return name.length > 0 && name.length <= 253 && name.split('.').every((label) => LABEL.test(label));
}

const domainName = z.string().refine(isDomainName, { message: 'expected a domain name like "example.com"' });

interface ServerAddress {
  /** A host name, an IPv4 address or an IPv6 address (without brackets). */
  host: string;
  port: number;
}

/** Parses "ns1.example.net", "192.0.2.53:5353", "2001:db8::53" or "[2001:db8::53]:5353". */
export function parseServer(text: string): ServerAddress | undefined {
  if (isIP(text) === 6) return { host: text, port: 53 };
  const m = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(text) ?? /^([^:[\]]+)(?::(\d{1,5}))?$/.exec(text);
  if (!m) return undefined;
  const host = m[1]!;
  const port = m[2] === undefined ? 53 : Number(m[2]);
  if (port < 1 || port > 65535) return undefined;
  const bracketed = text.startsWith('[');
  if (bracketed ? isIP(host) !== 6 : isIP(host) !== 4 && !isDomainName(host)) return undefined;
  return { host, port };
}

const server = z.string().refine((s) => parseServer(s) !== undefined, {
  message: 'expected a nameserver like "ns1.example.net", "192.0.2.53:5353" or "[2001:db8::53]:5353"',
});

const nameserverSchema = z.union([
  server,
  z.strictObject({
    server: server.describe('Name or address, optionally with :port (IPv6 in brackets when a port is given).'),
    name: nameSchema.optional().describe('Short name for messages and the `nameserver` metric label (default: `server`).'),
    provider: nameSchema.optional().describe('The DNS provider serving from it, named in consistency messages (e.g. two providers of one zone).'),
  }),
]);
type NameserverConfig = z.infer<typeof nameserverSchema>;

const discoverSchema = z.strictObject({
  via: z
    .array(server)
    .min(1)
    .optional()
    .describe("Ask these servers for the zone's NS records (their glue gives the addresses). Default: the system resolver."),
  port: z.number().int().min(1).max(65535).default(53).describe('Port to query the discovered nameservers on.'),
  max: z.number().int().min(1).max(MAX_NAMESERVERS).default(8).describe('At most this many discovered nameservers are queried (sorted by name).'),
});

function isRegex(text: string): boolean {
  try {
    new RegExp(text);
    return true;
  } catch {
    return false;
  }
}

function isCidr(text: string): boolean {
  const [address, prefix, ...rest] = text.split('/');
  const family = isIP(address ?? '');
  if (rest.length || !family || prefix === undefined || !/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}

/** Assertions on a set of records of one type, written in presentation form ("192.0.2.1", "10 mx.example.com"). */
const recordSetSchema = z.strictObject({
  exactly: z.array(z.string()).optional().describe('These records and no others (order and case of names ignored).'),
  includes: z.array(z.string()).min(1).optional().describe('Every one of these must be present; others may be too.'),
  any_of: z.array(z.string()).min(1).optional().describe('At least one of these must be present.'),
  match: z.string().refine(isRegex, { message: 'expected a valid regular expression' }).optional().describe('A regular expression every record must match.'),
  cidr: z
    .array(z.string().refine(isCidr, { message: 'expected a network like "192.0.2.0/24" or "2001:db8::/32"' }))
    .min(1)
    .optional()
    .describe('Every address (A, AAAA) must lie inside one of these networks.'),
});
export type RecordSetExpectation = z.infer<typeof recordSetSchema>;

const sectionSchema = z
  .partialRecord(z.enum(recordTypes), recordSetSchema)
  .describe('Per record type, assertions on the records of that type in this section, e.g. `{ NS: { includes: [ns1.example.net] } }`.');

/** What a reply must look like; every field may also be given per probe region. */
const expectations = z.strictObject({
  rcode: z.array(z.enum(rcodes)).min(1).optional().describe('Accepted response codes. Default: [NOERROR].'),
  authoritative: z.boolean().optional().describe('The AA flag must be set. Default: true.'),
  answers: recordSetSchema.optional().describe('Assertions on the answer records of the queried type (after any CNAME chain).'),
  min_answers: z
    .number()
    .int()
    .min(0)
    .optional()
    .describe('Fewest answer records of the queried type. Default: 1 when the reply is NOERROR (0 accepts NODATA).'),
  cname: z.array(domainName).optional().describe('The CNAME chain from the query name, target by target; [] means no CNAME.'),
  ttl: z
    .strictObject({
      min: duration.optional().describe("Every answer record's TTL at least this."),
      max: duration.optional().describe("Every answer record's TTL at most this."),
    })
    .optional()
    .describe('Bounds on the TTL of the answer records.'),
  authority: sectionSchema.optional(),
  additional: sectionSchema.optional(),
});

const dnsExpectSchema = expectations.extend({
  per_region: z
    .record(nameSchema, expectations)
    .optional()
    .describe('Expectations for probes in a region (traffic steering); each field given replaces the one above.'),
});
export type DnsExpectations = z.infer<typeof expectations>;

export const dnsCheckSchema = z
  .strictObject({
    ...commonCheckFields,
    kind: z.literal('dns').describe("Queries a zone's authoritative nameservers directly, never a resolver."),
    query: z
      .strictObject({
        name: domainName.describe('The name to ask for.'),
        type: z.enum(recordTypes).default('A').describe('The record type to ask for.'),
      })
      .describe('The question asked of every nameserver.'),
    nameservers: z
      .union([
        z.array(nameserverSchema).min(1).max(MAX_NAMESERVERS),
        z.strictObject({ discover: discoverSchema.describe("Query every nameserver in the zone's NS records.") }),
      ])
      .describe(
        'Authoritative nameservers to query directly, every one on every run: a list of names or addresses (optionally with :port), or `{ discover: {...} }`.',
      ),
    zone: domainName
      .optional()
      .describe('Apex of the zone the query name lives in: whose SOA serial is compared and whose NS records are discovered. Default: the query name.'),
    transport: z.enum(['udp', 'tcp']).default('udp').describe('udp (retried over TCP when truncated) or tcp only.'),
    attempts: z.number().int().min(1).max(5).default(2).describe('UDP tries per query when no valid reply comes back (TCP is tried once).'),
    attempt_timeout: duration.prefault('2s').describe('How long one try waits for its reply.'),
    edns: z
      .union([
        z.literal(false),
        z.strictObject({
          udp_size: z.number().int().min(512).max(4096).default(1232).describe('Largest UDP reply we accept; bigger replies come back truncated.'),
          nsid: z.boolean().default(true).describe('Ask the server to name itself (NSID), e.g. which anycast site answered.'),
        }),
      ])
      .prefault({})
      .describe('EDNS0 options, or false to send plain DNS (512-byte UDP replies, no DNSSEC).'),
    recursion_desired: z.boolean().default(false).describe('Set the RD flag. Authoritative servers do not recurse; leave it off.'),
    ip_version: z
      .union([z.literal(4), z.literal(6)])
      .optional()
      .describe('Address family for nameservers given by name. Default: IPv4 when the name has an IPv4 address, else IPv6.'),
    dnssec: z
      .strictObject({
        rrsig: z.boolean().default(true).describe('Every answer RRset (or the SOA of a negative answer) must carry an RRSIG.'),
        min_validity: duration.prefault('1d').describe('Fail when a signature expires sooner than this.'),
      })
      .optional()
      .describe('Ask with the DO bit and check signatures.'),
    consistency: z
      .strictObject({
        serial: z.boolean().default(true).describe("Compare the zone's SOA serial across nameservers."),
        serial_spread: z.number().int().min(0).default(0).describe('Largest allowed difference between serials (e.g. while a secondary catches up).'),
        answers: z.boolean().default(true).describe('All nameservers must give the same rcode, CNAME chain and answer records.'),
      })
      .prefault({})
      .describe('Cross-nameserver comparisons (with more than one nameserver). A mismatch fails with reason `inconsistent`.'),
    expect: dnsExpectSchema.prefault({}).describe("What every nameserver's reply must look like."),
  })
  .superRefine((check, ctx) => {
    if (check.dnssec && check.edns === false) {
      ctx.addIssue({ code: 'custom', path: ['dnssec'], message: 'dnssec needs EDNS (the DO bit lives there); remove `edns: false`' });
    }
    if (check.attempt_timeout > check.timeout) {
      ctx.addIssue({ code: 'custom', path: ['attempt_timeout'], message: 'attempt_timeout must not exceed the check timeout' });
    }
    if (Array.isArray(check.nameservers)) {
      const seen = new Set<string>();
      check.nameservers.forEach((ns, i) => {
        const name = nameserverName(ns);
        if (seen.has(name)) ctx.addIssue({ code: 'custom', path: ['nameservers', i], message: `duplicate nameserver "${name}"` });
        seen.add(name);
      });
    }
  });
export type DnsCheck = z.infer<typeof dnsCheckSchema>;

/** The name a nameserver goes by in messages, details and metric labels. */
export function nameserverName(ns: NameserverConfig): string {
  return typeof ns === 'string' ? ns : (ns.name ?? ns.server);
}

// --- What a DNS check reports in CheckResult.details (read back by the metrics) ---

const attemptOutcomes = ['answer', 'truncated', 'timeout', 'malformed', 'connect', 'reset', 'aborted'] as const;

const attemptSchema = z.object({
  transport: z.enum(['udp', 'tcp']),
  outcome: z.enum(attemptOutcomes),
  seconds: z.number(),
  message: z.string().optional(),
});
export type DnsAttempt = z.infer<typeof attemptSchema>;

const recordSchema = z.object({ name: z.string(), type: z.string(), ttl: z.number(), data: z.string() });
export type DnsRecordDetails = z.infer<typeof recordSchema>;

const dnsNameserverDetailsSchema = z.object({
  nameserver: z.string(),
  provider: z.string().optional(),
  server: z.string(),
  address: z.string().optional(),
  port: z.number(),
  ok: z.boolean(),
  degraded: z.boolean(),
  reason: reasonSchema,
  message: z.string(),
  /** Outcome of the first try and of the last: a retry never hides a failure. */
  first_attempt: z.enum(attemptOutcomes).optional(),
  final_attempt: z.enum(attemptOutcomes).optional(),
  attempts: z.array(attemptSchema),
  transport: z.enum(['udp', 'tcp']).optional(),
  /** Lookup latency: first query sent to final reply, retries included. */
  seconds: z.number().optional(),
  rcode: z.string().optional(),
  flags: z.array(z.string()).optional(),
  answers: z.array(recordSchema).optional(),
  authority: z.array(recordSchema).optional(),
  additional: z.array(recordSchema).optional(),
  cname: z.array(z.string()).optional(),
  /** Lowest TTL among the answer records, in seconds. */
  ttl: z.number().optional(),
  serial: z.number().optional(),
  nsid: z.string().optional(),
  /** Earliest RRSIG expiry among the checked signatures, ms since the epoch. */
  rrsig_expires_at: z.number().optional(),
});
export type DnsNameserverDetails = z.infer<typeof dnsNameserverDetailsSchema>;

export const dnsDetailsSchema = z.object({
  query: z.object({ name: z.string(), type: z.string() }),
  zone: z.string(),
  discovered: z.object({ via: z.string(), nameservers: z.array(z.string()) }).optional(),
  nameservers: z.array(dnsNameserverDetailsSchema),
});
export type DnsDetails = z.infer<typeof dnsDetailsSchema>;
