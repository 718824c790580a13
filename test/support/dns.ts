import { pino } from 'pino';
import { dnsCheckSchema } from '../../config/checks/dns.ts';
import { checkResultSchema, type CheckResult } from '../../config/result.ts';
import { runDnsCheck } from '../../agent/probe/checks/dns.ts';

/** Runs one DNS check (fields as in YAML) once, as a probe in `region` would, and checks the result's shape. */
export async function runDns(spec: Record<string, unknown>, region = 'lab'): Promise<CheckResult> {
  const check = dnsCheckSchema.parse({ name: 'dns-test', vendor: 'lab-dns', kind: 'dns', ...spec });
  const result = await runDnsCheck(check, {
    signal: AbortSignal.timeout(check.timeout),
    probe: { id: 'p1', region },
    logger: pino({ level: 'silent' }),
    vendors: [],
  });
  return checkResultSchema.parse(result);
}
