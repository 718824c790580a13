import { z } from 'zod';
import { duration } from '../duration.ts';
import { checkRoles, nameSchema } from '../terms.ts';

/** A host pattern: "static.example.com", "*.acmecdn.net" or "127.0.0.1:8081" (see config/hosts.ts). */
export const hostPatternSchema = z.string().regex(/^(\*\.)?[a-z0-9.-]+(:\d{1,5})?$|^\[[0-9a-f:]+\](:\d{1,5})?$/i, {
  message: 'expected a host like "static.example.com", "*.acmecdn.net" or "127.0.0.1:8081"',
});

/** A JavaScript regular expression, checked to compile. */
export const regexSchema = z.string().refine(
  (s) => {
    try {
      new RegExp(s);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'not a valid regular expression' },
);

/** Consensus knobs; set globally, per vendor or per check (the narrowest wins). */
export const consensusSchema = z.strictObject({
  window: duration.optional().describe("How far back a probe's latest result still counts as its vote. Default: 3 × the check interval."),
  min_probes: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe('Fewest voting probes for a verdict in a region; also the fewest failing (or passing) votes that can decide it. Default: 2.'),
  quorum: z
    .number()
    .gt(0)
    .max(1)
    .optional()
    .describe('Share of the voting probes that must fail for a region to fail, and pass for it to recover. Default: a strict majority.'),
  global_quorum: z
    .number()
    .gt(0)
    .max(1)
    .optional()
    .describe('Share of the regions with a verdict whose delivery checks must fail for hard_down (fewer: regional_outage). Default: a strict majority.'),
  confirm: duration
    .optional()
    .describe(
      'A failing verdict resting on fewer than two failing probes counts only once a later failing run started this long after the first; default half the check interval (two failing runs in a row).',
    ),
});

/** A check's own knobs: global_quorum is a vendor-wide rule (regions are judged across all its checks). */
const checkConsensusSchema = consensusSchema.omit({ global_quorum: true });

/** Fields every check kind has. */
export const commonCheckFields = {
  name: nameSchema.describe('Unique check name; a metric label.'),
  vendor: nameSchema.describe('The vendor (from `vendors`) this check watches.'),
  role: z
    .enum(checkRoles)
    .default('delivery')
    .describe('delivery failing → outage; performance slow → degraded; control failing → api_down; telemetry failing → limited_visibility.'),
  interval: duration.prefault('30s').describe('How often the check runs.'),
  timeout: duration.prefault('10s').describe('Hard limit for one run; must not exceed the interval.'),
  regions: z.array(nameSchema).min(1).optional().describe('Run only on probes in these regions (default: all).'),
  consensus: checkConsensusSchema
    .optional()
    .describe("Consensus knobs for this check; each knob set here replaces the vendor's and the top-level one. global_quorum is vendor-wide, so not here."),
};
