/**
 * Probe health, kept apart from vendor state so that one bad probe never blames a vendor.
 * Pure functions only.
 *
 *   probe_down       the collector has received nothing from the probe for `probe_down_after`
 *                    (its region's, resolved at config load: config/effective.ts).
 *   probe_unhealthy  the probe "disagrees" on checks of at least `unhealthy_vendors` distinct
 *                    vendors, where it disagrees on a check when its vote (in that check's window)
 *                    is failing while at least one other probe voted on the check and every other
 *                    probe that voted passed. It becomes healthy again only when it disagrees on
 *                    no check at all. Its votes are excluded from consensus meanwhile.
 */
import type { Vote } from './consensus.ts';

interface CheckVotes {
  vendor: string;
  /** Every probe's in-window vote on the check, in every region, unhealthy probes included. */
  votes: readonly Pick<Vote, 'probe' | 'ok'>[];
}

/** For each probe that disagrees with all its peers somewhere: the vendors and checks it does so on. */
export function disagreements(checks: ReadonlyMap<string, CheckVotes>): Map<string, { vendors: Set<string>; checks: Set<string> }> {
  const out = new Map<string, { vendors: Set<string>; checks: Set<string> }>();
  for (const [check, { vendor, votes }] of checks) {
    const failing = votes.filter((v) => !v.ok);
    // Only a lone failure among passing peers is a disagreement.
    if (failing.length !== 1 || votes.length < 2) continue;
    const probe = failing[0]!.probe;
    const entry = out.get(probe) ?? { vendors: new Set(), checks: new Set() };
    entry.vendors.add(vendor);
    entry.checks.add(check);
    out.set(probe, entry);
  }
  return out;
}

/** The probes that are unhealthy now, with hysteresis on recovery (see the header). */
export function unhealthyProbes(
  found: ReadonlyMap<string, { vendors: ReadonlySet<string> }>,
  wasUnhealthy: ReadonlySet<string>,
  minVendors: number,
): Set<string> {
  const now = new Set<string>();
  for (const [probe, { vendors }] of found) if (vendors.size >= minVendors || wasUnhealthy.has(probe)) now.add(probe);
  return now;
}

export function isDown(lastSeen: number, now: number, downAfter: number): boolean {
  return now - lastSeen > downAfter;
}
