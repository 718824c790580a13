import { z } from 'zod';
import { checkContracts, checkKinds, type CheckKind } from './checks/index.ts';
import { checkRoles, nameSchema, phaseSchema, reasonSchema } from './terms.ts';

export { checkRoles, nameSchema, phases, phaseSchema, reasons, reasonSchema, type Phase, type Reason } from './terms.ts';
export { checkKinds, type CheckKind } from './checks/index.ts';

const assertionResultSchema = z.object({
  name: z.string().max(200),
  ok: z.boolean(),
  expected: z.unknown().optional(),
  actual: z.unknown().optional(),
});
export type AssertionResult = z.infer<typeof assertionResultSchema>;

/** The fields every result has, whatever its kind: all that consensus reads. */
export const resultEnvelopeSchema = z.object({
  id: z.uuid(),
  check: nameSchema,
  vendor: nameSchema,
  kind: z.enum(checkKinds),
  role: z.enum(checkRoles),
  probe: nameSchema,
  region: nameSchema,
  startedAt: z.number().int().nonnegative(),
  ok: z.boolean(),
  degraded: z.boolean(),
  reason: reasonSchema,
  message: z.string().max(2000),
  phases: z.partialRecord(phaseSchema, z.number().nonnegative().finite()),
  assertions: z.array(assertionResultSchema).max(200),
});

/**
 * Details too large to push, cut to fit (agent/probe/oversizedResult.ts): strings and lists end in
 * "… [cut N …]" markers, so they no longer have their kind's shape; `truncated` says so.
 */
const shrunkDetailsSchema = z.looseObject({ truncated: z.object({ bytes: z.number().int().nonnegative() }) });

/**
 * A result of one kind: the envelope and that kind's details. Every field of the details may be
 * missing: a run that fails early (a script that does not load, a check that crashed) has none.
 */
function resultOfKind<K extends CheckKind, Details extends z.ZodRawShape>(kind: K, details: z.ZodObject<Details>) {
  return resultEnvelopeSchema.extend({ kind: z.literal(kind), details: z.union([shrunkDetailsSchema, details.partial()]) });
}

type ResultSchema = { [K in CheckKind]: ReturnType<typeof resultOfKind<K, (typeof checkContracts)[K]['details']['shape']>> }[CheckKind];
// Mapping over the kinds widens K to all of them; each schema is still its own kind's.
const [first, ...rest] = checkKinds.map((kind) => resultOfKind(kind, checkContracts[kind].details as z.ZodObject) as ResultSchema);

/** The one record every check kind returns, probes push and consensus reads (docs/architecture.md, "The one record"). */
export const checkResultSchema = z.discriminatedUnion('kind', [first!, ...rest]);
export type CheckResult = z.infer<typeof checkResultSchema>;
/** A result of kind K, with K's details. */
export type ResultOfKind<K extends CheckKind> = Extract<CheckResult, { kind: K }>;
export type ShrunkDetails = z.infer<typeof shrunkDetailsSchema>;

/** A result's details as its run reported them; undefined once they were cut to push them. */
export function reportedDetails<R extends CheckResult>(result: R): Exclude<R['details'], ShrunkDetails> | undefined {
  return 'truncated' in result.details ? undefined : (result.details as Exclude<R['details'], ShrunkDetails>);
}
