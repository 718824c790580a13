/**
 * The (check, region) layer of an evaluation, kept from one evaluation to the next: each probe's
 * latest vote per check, grouped by region, and each (check, region) pair's verdicts, evidence and
 * vote counts as last judged.
 *
 * A pair's judgement depends only on its votes inside the window, which of their probes are
 * unhealthy, its previous verdicts and what waits for confirmation; judging it again with the same
 * inputs gives the same answer (consensus.ts). So an evaluation re-judges only the pairs whose
 * inputs changed since the last one:
 *   - a vote arrived for it (or left it: its probe now reports from another region);
 *   - one of its votes entered or left the window: each pair keeps the next time that happens in
 *     a min-heap, since votes age out on time alone;
 *   - a probe with a vote in it became, or stopped being, unhealthy;
 *   - it joined the regions its check is judged in (those of known probes that run the check, and
 *     any that voted), which change as probes come, go or move.
 * Pairs of vendors still warming up wait, their changes kept, until the vendor is judged.
 * The result is the same as judging every pair at every evaluation, at a cost that follows how
 * many votes changed rather than how many there are.
 */
import type { ConsensusSettings } from '../../config/effective.ts';
import type { Check } from '../../config/schema.ts';
import { checkVerdicts, votesInWindow, type CheckVerdicts, type Unconfirmed, type Vote } from './consensus.ts';
import { verdictKey } from './journal.ts';
import type { VoteCounts } from './metrics.ts';
import { EVIDENCE_VOTES, type Evidence, type VerdictRow } from './state.ts';

const UNKNOWN: CheckVerdicts = { outage: 'unknown', slow: 'unknown' };

/** A check as the table judges it. */
interface CheckSlot {
  check: Check;
  vendor: string;
  settings: ConsensusSettings;
  /** probe → its latest vote on the check, in the order probes first voted. */
  latest: Map<string, Vote>;
  pairs: Map<string, Pair>;
  /** The pairs it is judged in, by region; rebuilt when `regionsStale`. */
  judgedIn: Pair[] | undefined;
  regionsStale: boolean;
  /** In-window votes over all its regions, and how many of them fail (for probe health). */
  voters: number;
  failing: number;
}

interface Pair {
  slot: CheckSlot;
  region: string;
  /** probe → its latest vote on the check, for probes whose latest vote is from this region. */
  votes: Map<string, Vote>;
  inWindow: Vote[];
  windowStale: boolean;
  verdictStale: boolean;
  /** When a vote next enters or leaves the window (Infinity: none); its heap entry's time. */
  scheduledAt: number;
  verdicts: CheckVerdicts;
  unconfirmed: Unconfirmed | undefined;
  judged: { row: VerdictRow; evidence: Evidence; counts: VoteCounts } | undefined;
}

/** What the per-vendor step reads: every judged (check, region) of the vendor, in config order then by region. */
export interface VendorVerdicts {
  rows: VerdictRow[];
  evidence: Evidence[];
}

export class VerdictTable {
  private readonly slots = new Map<string, CheckSlot>();
  private readonly windowStale = new Set<Pair>();
  private readonly due = new DueHeap();
  /** Verdicts from the journal, for pairs not judged since the start. */
  private restored = new Map<string, CheckVerdicts>();
  private lastNow = Number.NEGATIVE_INFINITY;
  private lastUnhealthy: ReadonlySet<string> = new Set();
  private lastProbeRegions = '';

  constructor(checks: Iterable<{ check: Check; vendor: string; settings: ConsensusSettings }>) {
    for (const { check, vendor, settings } of checks) {
      this.slots.set(check.name, {
        check,
        vendor,
        settings,
        latest: new Map(),
        pairs: new Map(),
        judgedIn: undefined,
        regionsStale: true,
        voters: 0,
        failing: 0,
      });
    }
  }

  /** The verdicts journaled before a restart: where each pair starts from. */
  restore(verdicts: ReadonlyMap<string, CheckVerdicts>): void {
    this.restored = new Map(verdicts);
  }

  /** Takes a probe's vote on a watched check; only a newer one replaces its vote (spooled results arrive late and out of order). */
  record(check: string, vote: Vote): void {
    const slot = this.slots.get(check)!;
    const seen = slot.latest.get(vote.probe);
    if (seen && vote.at < seen.at) return;
    slot.latest.set(vote.probe, vote);
    if (seen && seen.region !== vote.region) {
      const left = slot.pairs.get(seen.region)!;
      left.votes.delete(vote.probe);
      this.markWindowStale(left);
    }
    const pair = this.pairOf(slot, vote.region);
    pair.votes.set(vote.probe, vote);
    this.markWindowStale(pair);
  }

  /** A check's latest vote from each probe inside its window. */
  latestVotes(check: string, now: number): Vote[] {
    const slot = this.slots.get(check);
    return slot ? votesInWindow(slot.latest.values(), now, slot.settings.window) : [];
  }

  /** Brings the in-window votes of the ready vendors' pairs up to `now`; call before `loneFailures` and `judge`. */
  refresh(now: number, ready: ReadonlySet<string>): void {
    // Votes are in the window by time alone, so an earlier clock (only tests turn it back) can bring any back.
    if (now < this.lastNow) for (const slot of this.slots.values()) for (const pair of slot.pairs.values()) this.markWindowStale(pair);
    this.lastNow = now;
    for (const pair of this.due.popUntil(now)) this.markWindowStale(pair);
    const touched = new Set<CheckSlot>();
    for (const pair of this.windowStale) {
      if (!ready.has(pair.slot.vendor)) continue;
      this.refreshWindow(pair, now);
      touched.add(pair.slot);
    }
    for (const slot of touched) {
      slot.regionsStale = true;
      slot.voters = 0;
      slot.failing = 0;
      for (const pair of slot.pairs.values()) {
        slot.voters += pair.inWindow.length;
        for (const v of pair.inWindow) if (!v.ok) slot.failing++;
      }
    }
  }

  /**
   * The ready vendors' checks on which exactly one in-window vote fails, with all their in-window
   * votes: the only checks on which a probe can disagree with its peers (probeHealth.ts).
   */
  loneFailures(ready: ReadonlySet<string>): Map<string, { vendor: string; votes: Vote[] }> {
    const out = new Map<string, { vendor: string; votes: Vote[] }>();
    for (const [name, slot] of this.slots) {
      if (slot.failing !== 1 || slot.voters < 2 || !ready.has(slot.vendor)) continue;
      out.set(name, { vendor: slot.vendor, votes: [...slot.pairs.values()].flatMap((p) => p.inWindow) });
    }
    return out;
  }

  /**
   * Judges the ready vendors' (check, region) pairs whose inputs changed, calling `onChange` for
   * each whose verdicts changed, and answers every judged pair's rows and evidence per vendor and
   * its vote counts. `probeRegions`: the region of every known probe.
   */
  judge(
    ready: ReadonlySet<string>,
    unhealthy: ReadonlySet<string>,
    probeRegions: Iterable<string>,
    onChange: (check: string, region: string, verdicts: CheckVerdicts) => void,
  ): { byVendor: Map<string, VendorVerdicts>; voteCounts: VoteCounts[] } {
    this.unhealthyChanged(unhealthy);
    const regions = [...new Set(probeRegions)].sort();
    const regionsChanged = regions.join('\u0000') !== this.lastProbeRegions;
    this.lastProbeRegions = regions.join('\u0000');
    const byVendor = new Map<string, VendorVerdicts>();
    const voteCounts: VoteCounts[] = [];
    for (const [name, slot] of this.slots) {
      if (!ready.has(slot.vendor)) continue;
      if (regionsChanged || slot.regionsStale || !slot.judgedIn) this.placeRegions(slot, regions);
      const entry = byVendor.get(slot.vendor) ?? { rows: [], evidence: [] };
      byVendor.set(slot.vendor, entry);
      for (const pair of slot.judgedIn!) {
        if (pair.verdictStale) this.judgePair(name, pair, unhealthy, onChange);
        const { row, evidence, counts } = pair.judged!;
        entry.rows.push(row);
        entry.evidence.push(evidence);
        voteCounts.push(counts);
      }
    }
    return { byVendor, voteCounts };
  }

  private pairOf(slot: CheckSlot, region: string): Pair {
    let pair = slot.pairs.get(region);
    if (pair) return pair;
    const verdicts = this.restored.get(verdictKey(slot.check.name, region)) ?? UNKNOWN;
    pair = {
      slot,
      region,
      votes: new Map(),
      inWindow: [],
      windowStale: true,
      verdictStale: true,
      scheduledAt: Infinity,
      verdicts,
      unconfirmed: undefined,
      judged: undefined,
    };
    slot.pairs.set(region, pair);
    this.windowStale.add(pair);
    return pair;
  }

  private markWindowStale(pair: Pair): void {
    pair.windowStale = true;
    this.windowStale.add(pair);
  }

  /** Its votes in [now − window, now], and when that next changes by time alone. */
  private refreshWindow(pair: Pair, now: number): void {
    const { window } = pair.slot.settings;
    const inWindow: Vote[] = [];
    let next = Infinity;
    for (const v of pair.votes.values()) {
      if (v.at > now) next = Math.min(next, v.at);
      else if (v.at >= now - window) {
        inWindow.push(v);
        next = Math.min(next, v.at + window);
      }
    }
    pair.inWindow = inWindow;
    pair.windowStale = false;
    pair.verdictStale = true;
    this.windowStale.delete(pair);
    if (next < pair.scheduledAt) {
      pair.scheduledAt = next;
      this.due.push(next, pair);
    }
  }

  /** Re-judges the pairs with a vote of a probe that became, or stopped being, unhealthy. */
  private unhealthyChanged(unhealthy: ReadonlySet<string>): void {
    const changed = [...unhealthy].filter((p) => !this.lastUnhealthy.has(p)).concat([...this.lastUnhealthy].filter((p) => !unhealthy.has(p)));
    this.lastUnhealthy = new Set(unhealthy);
    for (const probe of changed) {
      for (const slot of this.slots.values()) {
        const vote = slot.latest.get(probe);
        if (vote) slot.pairs.get(vote.region)!.verdictStale = true;
      }
    }
  }

  /** The regions a check is judged in: those of known probes that run it, and any with a vote in the window. */
  private placeRegions(slot: CheckSlot, probeRegions: readonly string[]): void {
    const regions = new Set(probeRegions.filter((r) => !slot.check.regions || slot.check.regions.includes(r)));
    for (const pair of slot.pairs.values()) if (pair.inWindow.length) regions.add(pair.region);
    const before = new Set(slot.judgedIn ?? []);
    slot.judgedIn = [...regions].sort().map((region) => this.pairOf(slot, region));
    for (const pair of slot.judgedIn) {
      if (before.has(pair)) continue;
      // Judged again after a pause: what it last showed is old.
      if (pair.windowStale) this.refreshWindow(pair, this.lastNow);
      pair.verdictStale = true;
    }
    slot.regionsStale = false;
  }

  private judgePair(
    name: string,
    pair: Pair,
    unhealthy: ReadonlySet<string>,
    onChange: (check: string, region: string, verdicts: CheckVerdicts) => void,
  ): void {
    const { check, vendor, settings } = pair.slot;
    const { region, inWindow: here } = pair;
    const counted = unhealthy.size ? here.filter((v) => !unhealthy.has(v.probe)) : here;
    const prev = pair.verdicts;
    const { verdicts: next, unconfirmed } = checkVerdicts(counted, check.role, settings, prev, pair.unconfirmed);
    pair.unconfirmed = unconfirmed.outage === undefined && unconfirmed.slow === undefined ? undefined : unconfirmed;
    if (next.outage !== prev.outage || next.slow !== prev.slow) {
      pair.verdicts = next;
      onChange(name, region, next);
    }
    const failing = counted.filter((v) => !v.ok);
    const slowVotes = counted.filter((v) => v.degraded || (check.role === 'performance' && !v.ok)).length;
    pair.judged = {
      row: { check: name, role: check.role, region, ...pair.verdicts },
      counts: {
        vendor,
        check: name,
        region,
        ok: counted.filter((v) => v.ok && !v.degraded).length,
        degraded: counted.filter((v) => v.ok && v.degraded).length,
        failing: failing.length,
        excluded: here.length - counted.length,
      },
      evidence: {
        check: name,
        role: check.role,
        region,
        ...pair.verdicts,
        voters: counted.length,
        failing: failing.length,
        slowVotes,
        votes: [...failing, ...counted.filter((v) => v.ok)].slice(0, EVIDENCE_VOTES),
        excluded: here.filter((v) => unhealthy.has(v.probe)).map((v) => v.probe),
      },
    };
    pair.verdictStale = false;
  }
}

/** A binary min-heap of (time, pair); a pair's entries other than its `scheduledAt` are stale and skipped. */
class DueHeap {
  private readonly entries: { at: number; pair: Pair }[] = [];

  push(at: number, pair: Pair): void {
    const e = this.entries;
    e.push({ at, pair });
    for (let i = e.length - 1; i > 0;) {
      const parent = (i - 1) >> 1;
      if (e[parent]!.at <= e[i]!.at) break;
      [e[parent], e[i]] = [e[i]!, e[parent]!];
      i = parent;
    }
  }

  /** Removes every entry due by `now`, answering the pairs still scheduled at that time. */
  popUntil(now: number): Pair[] {
    const out: Pair[] = [];
    const e = this.entries;
    while (e.length && e[0]!.at <= now) {
      const { at, pair } = e[0]!;
      const last = e.pop()!;
      if (e.length) {
        e[0] = last;
        for (let i = 0; ;) {
          const l = 2 * i + 1;
          const r = l + 1;
          let min = i;
          if (l < e.length && e[l]!.at < e[min]!.at) min = l;
          if (r < e.length && e[r]!.at < e[min]!.at) min = r;
          if (min === i) break;
          [e[min], e[i]] = [e[i]!, e[min]!];
          i = min;
        }
      }
      if (pair.scheduledAt !== at) continue;
      pair.scheduledAt = Infinity;
      out.push(pair);
    }
    return out;
  }
}
