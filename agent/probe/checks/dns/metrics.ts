/**
 * A DNS check's own metrics, per nameserver, from its details. Nameserver names come from config
 * (or a zone's NS set, at most 16 per check), so the label is bounded; answers never become labels.
 */
import { Counter, Gauge, Histogram } from 'prom-client';
import { reportedDetails, type ResultOfKind } from '../../../../config/result.ts';
import { phaseBuckets, registry } from '../../../metrics.ts';

const dnsLabels = ['vendor', 'check', 'region', 'nameserver'] as const;

const dnsLookupDuration = new Histogram({
  name: 'vendorwatch_dns_lookup_duration_seconds',
  help: 'Time from the first query sent to a nameserver to its final reply (retries and TCP fallback included), in seconds.',
  labelNames: dnsLabels,
  buckets: phaseBuckets,
  registers: [registry],
});

const dnsResponses = new Counter({
  name: 'vendorwatch_dns_responses_total',
  help: 'Replies from each nameserver by response code.',
  labelNames: [...dnsLabels, 'rcode'] as const,
  registers: [registry],
});

const dnsSoaSerial = new Gauge({
  name: 'vendorwatch_dns_soa_serial',
  help: 'SOA serial of the zone each nameserver served on the last run.',
  labelNames: dnsLabels,
  registers: [registry],
});

const dnsAnswerTtl = new Gauge({
  name: 'vendorwatch_dns_answer_ttl_seconds',
  help: 'Lowest TTL among the answer records each nameserver gave on the last run, in seconds.',
  labelNames: dnsLabels,
  registers: [registry],
});

/** Records one DNS check result's replies, lookup times, serials and TTLs. */
export function record(r: ResultOfKind<'dns'>): void {
  for (const ns of reportedDetails(r)?.nameservers ?? []) {
    const labels = { vendor: r.vendor, check: r.check, region: r.region, nameserver: ns.nameserver };
    if (ns.rcode !== undefined) {
      dnsResponses.inc({ ...labels, rcode: ns.rcode });
      if (ns.seconds !== undefined) dnsLookupDuration.observe(labels, ns.seconds);
    }
    // A nameserver that gave no serial or TTL this run has none: drop the series rather than keep a stale value.
    if (ns.serial !== undefined) dnsSoaSerial.set(labels, ns.serial);
    else dnsSoaSerial.remove(labels);
    if (ns.ttl !== undefined) dnsAnswerTtl.set(labels, ns.ttl);
    else dnsAnswerTtl.remove(labels);
  }
}
