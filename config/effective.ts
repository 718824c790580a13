/**
 * Effective settings: the defaults that depend on other keys (a check's interval, the checks a
 * region runs), resolved once when the config is loaded. configSchema (schema.ts) adds them to
 * every loaded Config as `effective`; the collector, `vendorwatch rules` and
 * `vendorwatch validate --effective` read them there and resolve nothing themselves, so they agree.
 *
 * Consensus knobs, per check, each from the narrowest level that sets it: the check's
 * `consensus`, else its vendor's, else the top-level `consensus`, else the default:
 *   window      3 × the check's interval
 *   min_probes  2
 *   quorum      unset: a strict majority
 *   confirm     ½ × the check's interval (two failing runs in a row)
 * global_quorum, per vendor: the vendor's, else the top level's, else unset (a strict majority).
 * probe_down_after, per region: collector.probe_down_after, else 3 × the shortest interval of the
 *   checks the region runs, at least 30 s. Regions are known only from checks' `regions` lists
 *   (and from probes at run time), so it is resolved for each region named there, and once for
 *   any other region, which runs just the checks without `regions`.
 * warm_up, per vendor: how long after (re)start until the collector judges it: the longest interval of
 *   its checks plus the probes' push interval, by when every live probe has run each check once and
 *   pushed it. The collector's warm_up is the longest of them: by then every vendor is judged.
 *
 * Durations are in milliseconds.
 */
import { z } from 'zod';
import type { consensusSchema } from './checks/common.ts';

const WINDOW_INTERVALS = 3;
const DEFAULT_MIN_PROBES = 2;
const PROBE_DOWN_INTERVALS = 3;
const MIN_PROBE_DOWN_AFTER = 30_000;

const knobSourceSchema = z.enum(['check', 'vendor', 'top_level', 'default']);
export type KnobSource = z.infer<typeof knobSourceSchema>;

/** The consensus knobs of one check. */
const consensusSettingsSchema = z.object({
  window: z.number().describe("How far back a probe's latest result still counts as its vote."),
  min_probes: z.number().int().describe('Fewest voting probes for a verdict.'),
  quorum: z.number().optional().describe('Share of the votes that decides; unset: a strict majority.'),
  confirm: z.number().describe('How long after a first failing run a failing verdict resting on one vote is confirmed.'),
});
export type ConsensusSettings = z.infer<typeof consensusSettingsSchema>;

const checkSettingsSchema = consensusSettingsSchema.extend({
  from: z.record(consensusSettingsSchema.keyof(), knobSourceSchema).describe('The level each knob came from.'),
});
type CheckSettings = z.infer<typeof checkSettingsSchema>;

const vendorSettingsSchema = z.object({
  global_quorum: z.number().optional().describe('Share of the regions with a verdict that must fail for hard_down; unset: a strict majority.'),
  from: knobSourceSchema.exclude(['check']),
  warm_up: z.number().describe("How long after (re)start until the vendor is judged: its checks' longest interval plus the push interval."),
});
type VendorSettings = z.infer<typeof vendorSettingsSchema>;

export const effectiveSchema = z.object({
  checks: z.record(z.string(), checkSettingsSchema).describe('Consensus knobs by check name.'),
  vendors: z.record(z.string(), vendorSettingsSchema).describe('By vendor name.'),
  probe_down_after: z.object({
    regions: z.record(z.string(), z.number()).describe("By region named in some check's `regions`."),
    other: z.number().describe('Any other region.'),
    from: z.enum(['collector', 'default']).describe('collector.probe_down_after, or the default from the intervals.'),
  }),
  warm_up: z.number().describe('How long after (re)start until every vendor is judged: the longest vendor warm-up.'),
});
export type Effective = z.infer<typeof effectiveSchema>;

type Knobs = z.infer<typeof consensusSchema>;

/** A check's knobs from its own, its vendor's and the top-level `consensus`, narrowest first. */
export function checkSettings(levels: { check?: Knobs; vendor?: Knobs; top_level: Knobs }, interval: number): CheckSettings {
  const pick = (key: keyof ConsensusSettings): { value: number | undefined; from: KnobSource } => {
    const level = (['check', 'vendor', 'top_level'] as const).find((l) => levels[l]?.[key] !== undefined);
    return level ? { value: levels[level]![key], from: level } : { value: undefined, from: 'default' };
  };
  const [window, min_probes, quorum, confirm] = [pick('window'), pick('min_probes'), pick('quorum'), pick('confirm')];
  return {
    window: window.value ?? WINDOW_INTERVALS * interval,
    min_probes: min_probes.value ?? DEFAULT_MIN_PROBES,
    quorum: quorum.value,
    confirm: confirm.value ?? interval / 2,
    from: { window: window.from, min_probes: min_probes.from, quorum: quorum.from, confirm: confirm.from },
  };
}

/** A vendor's global quorum: its own, else the top level's, else a strict majority. */
export function vendorSettings(vendor: Knobs | undefined, topLevel: Knobs, intervals: readonly number[], pushInterval: number): VendorSettings {
  const warm_up = intervals.length ? Math.max(...intervals) + pushInterval : 0;
  if (vendor?.global_quorum !== undefined) return { global_quorum: vendor.global_quorum, from: 'vendor', warm_up };
  if (topLevel.global_quorum !== undefined) return { global_quorum: topLevel.global_quorum, from: 'top_level', warm_up };
  return { global_quorum: undefined, from: 'default', warm_up };
}

/** The default probe_down_after of a region running checks of these intervals. */
export function defaultProbeDownAfter(intervals: readonly number[]): number {
  return Math.max(MIN_PROBE_DOWN_AFTER, intervals.length ? PROBE_DOWN_INTERVALS * Math.min(...intervals) : 0);
}

/** probe_down_after for a probe in this region. */
export function probeDownAfterIn(effective: Pick<Effective, 'probe_down_after'>, region: string): number {
  const { regions, other } = effective.probe_down_after;
  // Own keys only: a region reported by a probe must never find a member of Object.prototype.
  return Object.hasOwn(regions, region) ? regions[region]! : other;
}
