import { pino } from 'pino';
import { httpCheckSchema, httpDetailsSchema } from '../../config/checks/http.ts';
import { checkResultSchema, type CheckResult } from '../../config/result.ts';
import type { Vendor } from '../../config/schema.ts';
import { Scheduler } from '../../agent/probe/scheduler.ts';

export const labVendors: Vendor[] = [{ name: 'acme-cdn', kind: 'cdn', hosts: [] }];

/**
 * Runs one `kind: http` check once through the real scheduler (with its timeout) and returns
 * the result, validated against the CheckResult schema. `fields` is the check as written in config.
 */
export async function runHttp(fields: Record<string, unknown>, vendors: Vendor[] = labVendors): Promise<CheckResult> {
  const check = httpCheckSchema.parse({ name: 'web', vendor: 'acme-cdn', kind: 'http', timeout: '5s', ...fields });
  const scheduler = new Scheduler({ checks: [], vendors, probe: { id: 'test', region: 'lab' }, logger: pino({ level: 'silent' }), concurrency: 4, onResult: () => {} });
  const result = checkResultSchema.parse(await scheduler.runOnce(check));
  // Details keep to their schema (metrics and the collector read them through it), per request too.
  const { busted, profiles, addresses } = result.details as Record<string, unknown>;
  for (const details of [result.details, busted, ...Object.values(profiles ?? {}), ...((addresses as unknown[]) ?? [])]) {
    if (details) httpDetailsSchema.parse(details);
  }
  return result;
}
