/**
 * Consensus: how the votes of many probes become one verdict per (check, region).
 * Pure functions only: no clock, no I/O. These are THE rules; `vendorwatch rules` (Prometheus
 * recording rules) and docs/alerts.md must say exactly the same.
 *
 * Settings, each read from check.consensus, else vendor.consensus, else the top-level
 * `consensus`, else the default (the narrowest that sets a knob wins, knob by knob), resolved
 * once at config load (config/effective.ts) and read here from `config.effective`:
 *   W  window        default 3 × the check's interval
 *   m  min_probes    default 2
 *   q  quorum        default: strict majority
 *   g  global_quorum default: strict majority (vendor or top level only; see state.ts)
 *   C  confirm       default ½ × the check's interval
 *
 * Votes. For a check in a region at time t, each probe of that region that is not
 * probe_unhealthy has one vote: its latest result of the check whose time is in [t − W, t],
 * where a result's time is min(startedAt, time the collector received it). Older results and
 * results of unhealthy probes do not vote.
 *   N = votes, F = failing votes (ok = false), P = N − F.
 *
 * Quorum. A count k of N votes "meets the quorum" when
 *   k ≥ m  and  (q unset ? 2k > N : k ≥ q × N).
 *
 * Verdict (outage), given the previous verdict of the same (check, region):
 *   N < m              → unknown
 *   F meets the quorum → failing
 *   P meets the quorum → passing
 *   otherwise          → the previous verdict (unknown stays unknown)
 * The last line is the hysteresis: a failing region recovers only on the same consensus of
 * passing votes; a tie (or a split inside a wide quorum band) changes nothing.
 *
 * Thin evidence. A failing verdict that would rest on fewer than two failing votes (possible
 * with m = 1) must be confirmed first: a failing run that started at least C after the first
 * failing run of this streak (by default: a second failing run in a row). Until then the
 * previous verdict holds, so one timed-out run in a one-probe region pages nobody.
 *
 * Verdict (slow), the same rule with S = slow votes instead of F: votes with degraded = true,
 * and, for checks with role `performance`, also failing votes (a timed-out performance check is
 * slow). "failing" then means "slow" and "passing" means "fast enough".
 */
import { z } from 'zod';
import { resultEnvelopeSchema } from '../../config/result.ts';
import type { ConsensusSettings } from '../../config/effective.ts';
import type { Check } from '../../config/schema.ts';

export const verdicts = ['failing', 'passing', 'unknown'] as const;
export const verdictSchema = z.enum(verdicts);
type Verdict = z.infer<typeof verdictSchema>;

/** One probe's vote: the fields of its latest result that consensus and the evidence need. */
export const voteSchema = resultEnvelopeSchema
  .pick({ probe: true, region: true, ok: true, degraded: true, reason: true, message: true, phases: true })
  .extend({ at: z.number().describe('min(startedAt, receivedAt), in ms since the epoch') });
export type Vote = z.infer<typeof voteSchema>;

/** k of n meets a share q (undefined = strict majority). A tiny epsilon keeps 0.3 × 10 = 3 exact. */
export function meetsShare(k: number, n: number, share: number | undefined): boolean {
  return share === undefined ? 2 * k > n : k >= share * n - 1e-9;
}

export function meetsQuorum(count: number, voters: number, s: Pick<ConsensusSettings, 'min_probes' | 'quorum'>): boolean {
  return count >= s.min_probes && meetsShare(count, voters, s.quorum);
}

/** The verdict for `against` of `voters` votes, holding `previous` when neither side has a consensus. */
export function verdict(voters: number, against: number, s: Pick<ConsensusSettings, 'min_probes' | 'quorum'>, previous: Verdict): Verdict {
  if (voters < s.min_probes) return 'unknown';
  if (meetsQuorum(against, voters, s)) return 'failing';
  if (meetsQuorum(voters - against, voters, s)) return 'passing';
  return previous;
}

/** The votes inside the window: each probe's latest result with time in [now − window, now]. */
export function votesInWindow(latest: Iterable<Vote>, now: number, window: number): Vote[] {
  const byProbe = new Map<string, Vote>();
  for (const v of latest) {
    if (v.at < now - window || v.at > now) continue;
    const seen = byProbe.get(v.probe);
    if (!seen || v.at > seen.at) byProbe.set(v.probe, v);
  }
  return [...byProbe.values()];
}

function isSlowVote(vote: Pick<Vote, 'ok' | 'degraded'>, role: Check['role']): boolean {
  return vote.degraded || (role === 'performance' && !vote.ok);
}

export interface CheckVerdicts {
  outage: Verdict;
  slow: Verdict;
}

/** Since when a thin failing verdict has waited for confirmation: the start of its first failing run. */
export type Unconfirmed = Partial<Record<keyof CheckVerdicts, number>>;

/**
 * Both verdicts of one check in one region from that region's (healthy, in-window) votes,
 * holding a thin failing verdict until it is confirmed (see the header); `unconfirmed` is
 * what still waits, to be passed back at the next evaluation.
 */
export function checkVerdicts(
  votes: readonly Vote[],
  role: Check['role'],
  s: ConsensusSettings,
  previous: CheckVerdicts,
  waiting: Unconfirmed = {},
): { verdicts: CheckVerdicts; unconfirmed: Unconfirmed } {
  const against = { outage: votes.filter((v) => !v.ok), slow: votes.filter((v) => isSlowVote(v, role)) };
  const verdicts = { outage: previous.outage, slow: previous.slow };
  const unconfirmed: Unconfirmed = {};
  for (const kind of ['outage', 'slow'] as const) {
    const next = verdict(votes.length, against[kind].length, s, previous[kind]);
    const thin = next === 'failing' && previous[kind] !== 'failing' && against[kind].length < 2;
    if (thin) {
      const times = against[kind].map((v) => v.at);
      const first = Math.min(waiting[kind] ?? Infinity, ...times);
      if (Math.max(...times) - first < s.confirm) {
        unconfirmed[kind] = first;
        continue;
      }
    }
    verdicts[kind] = next;
  }
  return { verdicts, unconfirmed };
}

/**
 * Global rule for a vendor's delivery: with R regions that have a delivery verdict and Rf of
 * them failing, the outage is global (hard_down) when Rf ≥ 1 and Rf meets the global quorum share
 * (default strict majority: 2·Rf > R), regional otherwise.
 */
export function outageIsGlobal(failingRegions: number, regionsWithVerdict: number, share: number | undefined): boolean {
  return failingRegions >= 1 && meetsShare(failingRegions, regionsWithVerdict, share);
}
