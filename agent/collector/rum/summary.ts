/**
 * What real users got from each vendor lately, for the status page. The beacon's aggregation
 * (aggregate.ts) only counts into the RUM metrics; this reads those counters back and
 * subtracts what they were about WINDOW_MS ago. A snapshot is taken every minute; until a whole
 * window has passed, the summary covers the time since the collector started.
 */
import { bucketQuantile, perBucket } from '../../histogram.ts';
import { rumResourceCacheHits, rumResourceDuration, rumResourceFailures, rumResources } from './metrics.ts';

export const WINDOW_MS = 15 * 60_000;
const SNAPSHOT_EVERY_MS = 60_000;

interface VendorTotals {
  resources: number;
  failures: number;
  cacheHits: number;
  /** Resource durations: cumulative count per bucket bound in seconds ("+Inf" last). */
  durations: Map<string, number>;
}

interface Totals {
  at: number;
  vendors: Map<string, VendorTotals>;
}

export interface RumVendorSummary {
  resources: number;
  failures: number;
  cacheHits: number;
  /** 75th percentile of resource load time, in seconds (estimated from the histogram buckets). */
  p75: number | undefined;
}

export interface RumSummary {
  since: number;
  vendors: Map<string, RumVendorSummary>;
}

type Values = { values: { labels: Partial<Record<string, string | number>>; value: number; metricName?: string }[] };

const emptyVendor = (): VendorTotals => ({ resources: 0, failures: 0, cacheHits: 0, durations: new Map() });

async function readTotals(at: number): Promise<Totals> {
  const vendors = new Map<string, VendorTotals>();
  const of = (labels: Values['values'][number]['labels']) => {
    const name = String(labels.vendor);
    const v = vendors.get(name) ?? emptyVendor();
    vendors.set(name, v);
    return v;
  };
  const add = async (metric: { get(): Promise<Values> }, field: 'resources' | 'failures' | 'cacheHits') => {
    for (const { labels, value } of (await metric.get()).values) of(labels)[field] += value;
  };
  await add(rumResources, 'resources');
  await add(rumResourceFailures, 'failures');
  await add(rumResourceCacheHits, 'cacheHits');
  for (const { labels, value, metricName } of (await rumResourceDuration.get()).values as Values['values']) {
    if (!metricName?.endsWith('_bucket')) continue;
    const d = of(labels).durations;
    const le = String(labels.le);
    d.set(le, (d.get(le) ?? 0) + value);
  }
  return { at, vendors };
}

function difference(now: Totals, then: Totals | undefined): RumSummary {
  const vendors = new Map<string, RumVendorSummary>();
  for (const [name, v] of now.vendors) {
    const before = then?.vendors.get(name) ?? emptyVendor();
    const resources = v.resources - before.resources;
    if (resources <= 0) continue;
    const les = [...v.durations.keys()].filter((le) => le !== '+Inf').sort((a, b) => Number(a) - Number(b));
    const cumulative = [...les, '+Inf'].map((le) => (v.durations.get(le) ?? 0) - (before.durations.get(le) ?? 0));
    vendors.set(name, {
      resources,
      failures: v.failures - before.failures,
      cacheHits: v.cacheHits - before.cacheHits,
      p75: bucketQuantile(les.map(Number), perBucket(cumulative), 0.75),
    });
  }
  return { since: then?.at ?? now.at, vendors };
}

export class RecentRum {
  private snapshots: Totals[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly startedAt: number;

  constructor(private readonly now: () => number = Date.now) {
    this.startedAt = now();
  }

  start(): void {
    void this.snapshot();
    this.timer = setInterval(() => void this.snapshot(), SNAPSHOT_EVERY_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** The last WINDOW_MS (or since the start), per vendor that had resources in it. */
  async summary(): Promise<RumSummary> {
    const now = await readTotals(this.now());
    const then = this.snapshots.find((s) => s.at >= now.at - WINDOW_MS);
    const summary = difference(now, then);
    return then ? summary : { ...summary, since: this.startedAt };
  }

  private async snapshot(): Promise<void> {
    const totals = await readTotals(this.now());
    this.snapshots = [...this.snapshots.filter((s) => s.at >= totals.at - WINDOW_MS - SNAPSHOT_EVERY_MS), totals];
  }
}
