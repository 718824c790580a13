/**
 * The bounded vocabularies the whole contract shares: names, failure reasons, timing phases and
 * check roles. Apart from config/result.ts so that each kind's schemas (config/checks/) can use
 * them while result.ts builds CheckResult from those schemas.
 */
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

export const checkRoles = ['delivery', 'performance', 'control', 'telemetry'] as const;

export const nameSchema = z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,62}$/, {
  message: 'expected a lowercase name of letters, digits, ".", "-" or "_" (at most 63)',
});
