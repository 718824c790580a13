/**
 * Real-user impact per vendor and region: of the page views that loaded something of the vendor
 * within rum.users_impacted.window, how many had one of its resources fail or take longer than
 * the budget, their share, and the p75 of the vendor's resource load times. The collector's
 * per-vendor step reads it each evaluation: it words alerts and the status page, raises the
 * users_impacted condition (usersImpactedRegions) and counts an incident's page views.
 *
 * Counted in memory, in ten slices of the window, so a beacon costs a few map updates and
 * nothing is kept per page view; a restart starts the window afresh.
 */
import { z } from 'zod';
import type { Beacon } from '../../../config/beacon.ts';
import type { Config } from '../../../config/schema.ts';
import { bucketIndex, bucketQuantile } from '../../histogram.ts';
import { rumBuckets } from './buckets.ts';

/** One region's real-user figures for a vendor over the window. */
export const regionImpactSchema = z.object({
  region: z.string(),
  /** Page views that loaded at least one of the vendor's resources. */
  pageViews: z.number().int(),
  /** Of those, page views where one of its resources failed or went over the budget. */
  affected: z.number().int(),
  share: z.number(),
  /** 75th percentile of the vendor's resource load time, in seconds; null without timings. */
  p75: z.number().nullable(),
});
export type RegionImpact = z.infer<typeof regionImpactSchema>;

/** A vendor's real-user figures as its status carries them: the window and budget they were counted with (ms), per region. */
export const realUsersSchema = z.object({ window: z.number(), budget: z.number(), regions: z.array(regionImpactSchema) });
export type RealUsers = z.infer<typeof realUsersSchema>;

type Settings = Config['rum']['users_impacted'];

interface Counts {
  pageViews: number;
  affected: number;
  /** Resource durations per rumBuckets bound, the overflow last. */
  durations: number[];
}

interface Slice {
  start: number;
  byKey: Map<string, Counts>;
}

const SLICES = 10;
const keyOf = (vendor: string, region: string) => `${vendor}\u0000${region}`;

export class RealUserImpact {
  private readonly sliceMs: number;
  private slices: Slice[] = [];
  /** Page views and affected ones since start, per (vendor, region): what incidents count from. */
  private readonly totals = new Map<string, { pageViews: number; affected: number }>();
  private readonly vendors: Set<string>;
  /** What takeNew last answered from, per id and region. */
  private readonly taken = new Map<string, Map<string, { pageViews: number; affected: number }>>();

  constructor(
    config: Config,
    private readonly now: () => number = Date.now,
  ) {
    this.settings = config.rum.users_impacted;
    this.vendors = new Set(config.vendors.map((v) => v.name));
    this.sliceMs = Math.max(1, Math.floor(this.settings.window / SLICES));
  }

  readonly settings: Settings;

  /** Counts one accepted beacon from `region` (bounded by the caller). */
  record(beacon: Beacon, region: string): void {
    const slice = this.currentSlice(this.now());
    const budgetMs = this.settings.budget;
    for (const name in beacon.resources) {
      if (!this.vendors.has(name)) continue;
      const r = beacon.resources[name]!;
      if (r.count === 0) continue;
      const key = keyOf(name, region);
      let c = slice.byKey.get(key);
      if (!c) slice.byKey.set(key, (c = { pageViews: 0, affected: 0, durations: new Array<number>(rumBuckets.length + 1).fill(0) }));
      let affected = r.failed > 0;
      for (const [, , ms] of r.samples) {
        if (ms > budgetMs) affected = true;
        c.durations[bucketIndex(rumBuckets, ms / 1000)]!++;
      }
      c.pageViews++;
      if (affected) c.affected++;
      const t = this.totals.get(key) ?? { pageViews: 0, affected: 0 };
      t.pageViews++;
      if (affected) t.affected++;
      this.totals.set(key, t);
    }
  }

  /** The vendor's figures now, with the window and budget; undefined without a page view in the window. */
  of(vendor: string): RealUsers | undefined {
    const regions = this.regionsOf(vendor);
    return regions.length ? { window: this.settings.window, budget: this.settings.budget, regions } : undefined;
  }

  /** The vendor's figures in every region with a page view in the window, by region name. */
  private regionsOf(vendor: string): RegionImpact[] {
    const from = this.now() - this.settings.window;
    const byRegion = new Map<string, Counts>();
    const prefix = keyOf(vendor, '');
    for (const slice of this.slices) {
      if (slice.start + this.sliceMs <= from) continue;
      for (const [key, c] of slice.byKey) {
        if (!key.startsWith(prefix)) continue;
        const region = key.slice(prefix.length);
        const sum = byRegion.get(region) ?? { pageViews: 0, affected: 0, durations: new Array<number>(rumBuckets.length + 1).fill(0) };
        sum.pageViews += c.pageViews;
        sum.affected += c.affected;
        c.durations.forEach((n, i) => (sum.durations[i]! += n));
        byRegion.set(region, sum);
      }
    }
    return [...byRegion]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([region, c]) => ({
        region,
        pageViews: c.pageViews,
        affected: c.affected,
        share: c.affected / c.pageViews,
        p75: bucketQuantile(rumBuckets, c.durations, 0.75) ?? null,
      }));
  }

  /**
   * Page views (and affected ones) of the vendor in these regions since the last call with this
   * id (an incident's): nothing on the first call for a region, so each region counts from when
   * it was first asked about. `forget` the id when done.
   */
  takeNew(id: string, vendor: string, regions: readonly string[]): { pageViews: number; affected: number } {
    const seen = this.taken.get(id) ?? new Map<string, { pageViews: number; affected: number }>();
    this.taken.set(id, seen);
    const added = { pageViews: 0, affected: 0 };
    for (const region of regions) {
      const now = this.totals.get(keyOf(vendor, region)) ?? { pageViews: 0, affected: 0 };
      const before = seen.get(region) ?? now;
      added.pageViews += now.pageViews - before.pageViews;
      added.affected += now.affected - before.affected;
      seen.set(region, { ...now });
    }
    return added;
  }

  forget(id: string): void {
    this.taken.delete(id);
  }

  private currentSlice(now: number): Slice {
    const start = now - (now % this.sliceMs);
    const last = this.slices[this.slices.length - 1];
    if (last?.start === start) return last;
    const slice = { start, byKey: new Map<string, Counts>() };
    this.slices = [...this.slices.filter((s) => s.start > now - this.settings.window - this.sliceMs), slice];
    return slice;
  }
}

/**
 * The regions where the vendor's users are impacted: enough page views, and a share of them
 * affected at or above the threshold. A region already impacted (`holding`) stays so until its
 * share falls under half the threshold: as failed page views age out of the window the share
 * drifts across the threshold, and without that margin it would end the incident and open a new
 * one a second later (a second alert, and flapping).
 */
export function usersImpactedRegions(
  impact: readonly RegionImpact[],
  settings: Pick<Settings, 'min_page_views' | 'share'>,
  holding: ReadonlySet<string> = new Set(),
): string[] {
  const impacted = (i: RegionImpact) =>
    holding.has(i.region) ? i.share >= settings.share / 2 : i.pageViews >= settings.min_page_views && i.share >= settings.share;
  return impact.filter(impacted).map((i) => i.region);
}
