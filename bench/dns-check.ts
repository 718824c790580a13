/**
 * DNS check throughput and accuracy: vendorwatch's dns check against blackbox_exporter's dns
 * prober, both asking an authoritative server directly over UDP.
 *   - Throughput: passing checks/s at a fixed concurrency against a real NSD (lab/authoritative.ts).
 *   - Accuracy: |measured total − delay| against the lab's DNS fault server holding every reply
 *     N ms (lab/dns-faults.ts, in its own process).
 * vendorwatch's default check asks two questions at once (the record, and the zone's SOA for the
 * serial it compares across nameservers); blackbox asks one. Both are measured: the default, and
 * with `consistency: { serial: false }`, which asks only the one, like blackbox.
 */
import { startNsd } from '../lab/authoritative.ts';
import { freePort } from '../test/support/processes.ts';
import { startBlackboxExporter, type BlackboxExporter } from './blackbox-exporter.ts';
import { compare, plan, withStops, type Contender, type Sample } from './measure.ts';
import { accuracyMethod, accuracyTable, COMMON_NOTES, contendersTable, throughputMethod, throughputTable, type Benchmark } from './report.ts';
import { startTargets } from './targets.ts';
import { vendorwatchOn } from './vendorwatch.ts';

/** NSD, or the fault server delaying N ms; vendorwatch's config has checks named after each. */
type Target = 'nsd' | `delay-${number}`;

const ZONE = 'bench.test';
const QUERY = `www.${ZONE}`;

function blackboxContender(exporter: BlackboxExporter, servers: Record<Target, string>): Contender<Target> {
  return {
    name: 'blackbox_exporter',
    version: exporter.version,
    command: `GET /probe?module=dns_a&target=HOST:PORT (module: prober dns, ${QUERY} A over UDP, recursion_desired false, timeout 5s); total = probe_duration_seconds`,
    async run(target): Promise<Sample> {
      const m = await exporter.probe('dns_a', servers[target]);
      if (m.get('probe_success') !== 1) return { ok: false, message: 'probe_success 0' };
      return { ok: true, total: m.get('probe_duration_seconds')! };
    },
  };
}

export const dnsCheckBenchmark: Benchmark = {
  name: 'dns',
  title: 'DNS check: throughput and timing accuracy',
  run: ({ quick, log }) =>
    withStops(async (onStop) => {
      const { throughput, accuracy } = plan(quick);
      const nsd = await startNsd({ port: await freePort(), zones: [{ origin: ZONE, serial: 1, records: ['@ NS ns1', 'ns1 A 127.0.0.1', 'www A 192.0.2.1'] }] });
      onStop(() => nsd.close());
      const targets = await startTargets(accuracy.delaysMs);
      onStop(() => targets.close());
      const exporter = await startBlackboxExporter({
        dns_a: {
          prober: 'dns',
          timeout: '5s',
          dns: {
            query_name: QUERY,
            query_type: 'A',
            transport_protocol: 'udp',
            preferred_ip_protocol: 'ip4',
            ip_protocol_fallback: false,
            recursion_desired: false,
          },
        },
      });
      onStop(() => exporter.close());

      const servers = { nsd: nsd.address, ...Object.fromEntries(accuracy.delaysMs.map((d) => [`delay-${d}`, targets.dns[d]!])) } as Record<Target, string>;
      const check = (name: string, server: string, extra = '') =>
        `  - { name: ${name}, vendor: bench-dns, kind: dns, query: { name: ${QUERY}, type: A }, zone: ${ZONE}, nameservers: ["${server}"], timeout: 5s${extra} }`;
      const vendorwatch = await vendorwatchOn(
        [
          'vendors:',
          '  - { name: bench-dns, kind: dns }',
          'checks:',
          ...Object.entries(servers).flatMap(([t, server]) => [check(t, server), check(`${t}-one-query`, server, ', consistency: { serial: false }')]),
          '',
        ].join('\n'),
      );
      onStop(() => vendorwatch.close());

      const contenders: Contender<Target>[] = [
        vendorwatch.runner(
          'vendorwatch check runner',
          'runCheck(check) in the benchmark process (config: `kind: dns`, `query`, `zone`, one nameserver, `timeout: 5s`, defaults otherwise: A and SOA asked at once)',
          (t: Target) => t,
        ),
        vendorwatch.runner(
          'vendorwatch check runner, serial off',
          'as above with `consistency: { serial: false }`: only the A question, like blackbox',
          (t: Target) => `${t}-one-query`,
        ),
        vendorwatch.command((t: Target) => t),
        blackboxContender(exporter, servers),
      ];
      const { rates, errors } = await compare(contenders, { throughput: 'nsd', delayed: (d) => `delay-${d}` as const }, { throughput, accuracy }, log);

      return {
        method: [
          `Throughput target: NSD (Debian nsd, started by lab/authoritative.ts on 127.0.0.1) serving \`${ZONE}\`; each check asks it for \`${QUERY} A\` over UDP.`,
          throughputMethod(throughput, 'NSD'),
          "Accuracy targets: the lab's DNS fault server (lab/dns-faults.ts with `delayMs`), one per delay, in a Node process of their own, answering every query after N ms.",
          accuracyMethod(accuracy, 'the server delaying N ms', 'total'),
          'A check passes for vendorwatch when the reply is NOERROR, authoritative and has at least one A record (its defaults); for blackbox_exporter when the rcode is NOERROR (its default).',
        ],
        tables: [
          { heading: 'Contenders', table: contendersTable(contenders) },
          { heading: `Throughput (checks/s, concurrency ${throughput.concurrency})`, table: throughputTable(rates) },
          { heading: 'Timing accuracy (error of the total against the known delay)', table: accuracyTable(errors, ['total']) },
        ],
        notes: [
          'Every error includes what the target adds to N (its timer fires at N ms or a little later, plus the loopback round trip), the same for every contender.',
          '`vendorwatch check --json` starts a Node process per check.',
          ...COMMON_NOTES,
        ],
      };
    }),
};
