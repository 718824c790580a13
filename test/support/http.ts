import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'vitest';
import { pino } from 'pino';
import { httpCheckSchema, httpDetailsSchema, type HttpDetails } from '../../config/checks/http.ts';
import { checkResultSchema, type ResultOfKind } from '../../config/result.ts';
import type { Vendor } from '../../config/schema.ts';
import { Scheduler } from '../../agent/probe/scheduler.ts';

export const labVendors: Vendor[] = [{ name: 'acme-cdn', kind: 'cdn', hosts: [] }];

/** An http check's result with every field of its details there to read. */
export type HttpRun = Omit<ResultOfKind<'http'>, 'details'> & { details: HttpDetails };

/**
 * Runs one `kind: http` check once through the real scheduler (with its timeout) and returns
 * the result, validated against the CheckResult schema. `fields` is the check as written in config.
 */
export async function runHttp(fields: Record<string, unknown>, vendors: Vendor[] = labVendors): Promise<HttpRun> {
  const check = httpCheckSchema.parse({ name: 'web', vendor: 'acme-cdn', kind: 'http', timeout: '5s', ...fields });
  const scheduler = new Scheduler({
    checks: [],
    vendors,
    probe: { id: 'test', region: 'lab' },
    logger: pino({ level: 'silent' }),
    concurrency: 4,
    onResult: () => {},
  });
  const ran = await scheduler.runOnce(check);
  const result = checkResultSchema.parse(ran);
  // The schema describes everything the check reports (nothing is dropped parsing it), per request too.
  expect(result).toEqual(ran);
  if (result.kind !== 'http') throw new Error(`expected an http result, got ${result.kind}`);
  return { ...result, details: httpDetailsSchema.parse(result.details) };
}

/** A lab target for rules tests: `/ok` answers 200, every other path 503. */
export async function startStatusTarget(): Promise<{ base: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    res.statusCode = req.url === '/ok' ? 200 : 503;
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
