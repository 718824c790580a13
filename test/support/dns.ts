import { expect } from 'vitest';
import { pino } from 'pino';
import { dnsCheckSchema, dnsDetailsSchema, type DnsDetails } from '../../config/checks/dns.ts';
import { checkResultSchema, type ResultOfKind } from '../../config/result.ts';
import { runDnsCheck } from '../../agent/probe/checks/dns/run.ts';

/** A DNS check's result with every field of its details there to read. */
export type DnsRun = Omit<ResultOfKind<'dns'>, 'details'> & { details: DnsDetails };

/** Runs one DNS check (fields as in YAML) once, as a probe in `region` would, and checks the result's shape. */
export async function runDns(spec: Record<string, unknown>, region = 'lab'): Promise<DnsRun> {
  const check = dnsCheckSchema.parse({ name: 'dns-test', vendor: 'lab-dns', kind: 'dns', ...spec });
  const result = await runDnsCheck(check, {
    signal: AbortSignal.timeout(check.timeout),
    probe: { id: 'p1', region },
    logger: pino({ level: 'silent' }),
    vendors: [],
  });
  const parsed = checkResultSchema.parse(result);
  // The schema describes everything the check reports: nothing is dropped parsing it.
  expect(parsed).toEqual(result);
  return { ...result, details: dnsDetailsSchema.parse(result.details) };
}
