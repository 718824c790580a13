/**
 * The one table of check kinds: each kind's contract, its config schema and the schema of what it
 * puts in CheckResult.details. config/schema.ts builds the check union from it, config/result.ts
 * CheckResult; agent/probe/checks/index.ts must give every kind here a runtime (a compile error
 * otherwise). Adding a kind: its schemas in config/checks/<kind>.ts and one entry here.
 */
import { browserCheckSchema, browserDetailsSchema } from './browser.ts';
import { dnsCheckSchema, dnsDetailsSchema } from './dns.ts';
import { httpCheckSchema, httpDetailsSchema } from './http.ts';

export const checkContracts = {
  http: { check: httpCheckSchema, details: httpDetailsSchema },
  dns: { check: dnsCheckSchema, details: dnsDetailsSchema },
  browser: { check: browserCheckSchema, details: browserDetailsSchema },
} as const;

type Contracts = typeof checkContracts;
export type CheckKind = keyof Contracts;
export const checkKinds = Object.keys(checkContracts) as CheckKind[];
