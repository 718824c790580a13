import { z } from 'zod';

/** Why a check failed: one bounded set, safe as a metric label. */
export const reasons = [
  'ok',
  'dns',
  'connect',
  'tls',
  'timeout',
  'reset',
  'http_status',
  'rcode',
  'inconsistent',
  'malformed',
  'assertion',
  'script',
  'internal',
] as const;
export const reasonSchema = z.enum(reasons);
export type Reason = z.infer<typeof reasonSchema>;

/** Timing phases, in seconds. Bounded, because each becomes a label value. */
export const phases = ['dns', 'connect', 'tls', 'ttfb', 'transfer', 'total'] as const;
export const phaseSchema = z.enum(phases);
export type Phase = z.infer<typeof phaseSchema>;

export const checkKinds = ['http', 'dns', 'browser'] as const;
export const checkRoles = ['delivery', 'performance', 'control', 'telemetry'] as const;

const name = z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,62}$/, {
  message: 'expected a lowercase name of letters, digits, ".", "-" or "_" (at most 63)',
});

export const assertionResultSchema = z.object({
  name: z.string().max(200),
  ok: z.boolean(),
  expected: z.unknown().optional(),
  actual: z.unknown().optional(),
});
export type AssertionResult = z.infer<typeof assertionResultSchema>;

/** The one record every check kind returns, probes push and consensus reads (docs/architecture.md, "The one record"). */
export const checkResultSchema = z.object({
  id: z.uuid(),
  check: name,
  vendor: name,
  kind: z.enum(checkKinds),
  role: z.enum(checkRoles),
  probe: name,
  region: name,
  startedAt: z.number().int().nonnegative(),
  ok: z.boolean(),
  degraded: z.boolean(),
  reason: reasonSchema,
  message: z.string().max(2000),
  phases: z.partialRecord(phaseSchema, z.number().nonnegative().finite()),
  assertions: z.array(assertionResultSchema).max(200),
  details: z.record(z.string(), z.unknown()),
});
export type CheckResult = z.infer<typeof checkResultSchema>;

export { name as nameSchema };
