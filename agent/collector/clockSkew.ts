/**
 * How far a probe's clock is off from the collector's. Pure, apart from the samples it keeps.
 *
 * Each push gives one sample per probe in it: the collector's receive time minus the probe's
 * time, taken from the push's `sentAt` when the probe sends one (exact), else from the result
 * that finished last (startedAt + phases.total). A result waits up to a push interval before it
 * is sent, so that second kind of sample is the skew plus a wait, never less. Results spooled
 * while the collector was unreachable wait much longer: right after a silence a probe delivers
 * its backlog, oldest first, and those samples say nothing about its clock.
 *
 * So the estimate is the smallest sample over the last WINDOW_MS, given only once the probe
 * has pushed for a whole WINDOW_MS without a silence of more than GAP_MS: by then its backlog
 * (which drains in seconds) is followed by fresh results, and the smallest sample is one of
 * them. A clock that is off stays off in every sample; a backlog does not.
 */
import type { CheckResult } from '../../config/result.ts';

export const WINDOW_MS = 60_000;
/** A silence this long may have left a backlog: the estimate starts over. */
export const GAP_MS = 10_000;

/** One push's sample for each probe in it, in ms (positive: the probe's clock is behind). */
export function pushSamples(results: readonly CheckResult[], receivedAt: number, sentAt: number | undefined): Map<string, number> {
  const samples = new Map<string, number>();
  for (const r of results) {
    const sample = receivedAt - (sentAt ?? r.startedAt + Math.round((r.phases.total ?? 0) * 1000));
    const seen = samples.get(r.probe);
    if (seen === undefined || sample < seen) samples.set(r.probe, sample);
  }
  return samples;
}

/** One probe's recent samples. */
export class ClockSamples {
  private samples: { at: number; ms: number }[] = [];
  /** Since when the probe has pushed without a long silence. */
  private since: number | undefined;

  add(ms: number, at: number): void {
    const last = this.samples.at(-1);
    if (!last || at - last.at > GAP_MS) this.since = at;
    // One sample per second at most (the smallest), so a probe pushing flat out keeps no more than a window's seconds.
    if (last && Math.floor(last.at / 1000) === Math.floor(at / 1000)) last.ms = Math.min(last.ms, ms);
    else this.samples.push({ at, ms });
    while (this.samples.length && at - this.samples[0]!.at > WINDOW_MS) this.samples.shift();
  }

  /** The skew in ms, or undefined while there is not a whole window of recent samples. */
  estimate(now: number): number | undefined {
    const last = this.samples.at(-1);
    if (!last || this.since === undefined || now - last.at > GAP_MS || now - this.since < WINDOW_MS) return undefined;
    return Math.min(...this.samples.filter((s) => now - s.at <= WINDOW_MS).map((s) => s.ms));
  }
}
