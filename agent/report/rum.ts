/**
 * The real-user part of `vendorwatch report`, per vendor: from the collector's hourly RUM rollup
 * (collector/rum/hourly.ts), the share of the vendor's resource loads that succeeded and the p75
 * resource load time over the UTC hours starting inside the period; from the period's incidents,
 * the page views real users had affected while they were open (`realUsers`, when beacon data
 * covered them). Nothing is estimated where beacons said nothing: the figures stay undefined.
 */
import type { Vendor } from '../../config/schema.ts';
import type { Incident } from '../collector/incidents.ts';
import type { RumHourLine } from '../collector/rum/hourly.ts';
import { rumBuckets } from '../collector/rum/buckets.ts';
import { bucketCountAtOrBelow, bucketQuantile } from '../histogram.ts';

export interface RumReport {
  /** Page views that loaded at least one of the vendor's resources. */
  pageViews: number;
  loads: number;
  failedLoads: number;
  /** Loads that did not fail, percent of loads (undefined without loads). */
  successPercent: number | undefined;
  /** 75th percentile resource load time, estimated from the rollup's buckets. */
  p75Ms: number | undefined;
  /** The vendor's `rum_slo`, and how the period measured against it (undefined: not set, or no data). */
  slo: Vendor['rum_slo'] | null;
  successMet: boolean | undefined;
  /** Share of timed loads within `rum_slo.resource_time_ms`, percent (estimated from the buckets). */
  withinPercent: number | undefined;
  resourceTimeMet: boolean | undefined;
  /** The period's incidents: page views while they were open and how many had the vendor fail them, summed over those with beacon data. */
  incidents: { withBeaconData: number; withoutBeaconData: number; pageViews: number | undefined; affected: number | undefined };
}

interface Period {
  from: number;
  to: number;
}

/** `incidents`: the vendor's incidents overlapping the period. */
export function rumReport(vendor: Vendor, lines: readonly RumHourLine[], incidents: readonly Pick<Incident, 'realUsers'>[], period: Period): RumReport {
  const mine = lines.filter((l) => l.vendor === vendor.name && l.hour >= period.from && l.hour < period.to);
  const total = (field: 'pageViews' | 'loads' | 'failed') => mine.reduce((n, l) => n + l[field], 0);
  const loads = total('loads');
  const failedLoads = total('failed');
  // A failed load the browser kept no Resource Timing entry for counts as failed but not as a load: clamp at 0.
  const successPercent = loads ? (100 * Math.max(0, loads - failedLoads)) / loads : undefined;
  const buckets = rumBuckets.map((_, i) => mine.reduce((n, l) => n + l.durations[i]!, 0)).concat(mine.reduce((n, l) => n + l.durations[rumBuckets.length]!, 0));
  const timed = buckets.reduce((a, b) => a + b, 0);
  const p75 = bucketQuantile(rumBuckets, buckets, 0.75);
  const slo = vendor.rum_slo ?? null;
  const withinPercent =
    slo?.resource_time_ms === undefined || !timed ? undefined : (100 * bucketCountAtOrBelow(rumBuckets, buckets, slo.resource_time_ms / 1000)) / timed;
  const covered = incidents.flatMap((i) => (i.realUsers ? [i.realUsers] : []));
  return {
    pageViews: total('pageViews'),
    loads,
    failedLoads,
    successPercent,
    p75Ms: p75 === undefined ? undefined : p75 * 1000,
    slo,
    successMet: slo?.success_percent === undefined || successPercent === undefined ? undefined : successPercent >= slo.success_percent,
    withinPercent,
    resourceTimeMet: withinPercent === undefined ? undefined : withinPercent >= slo!.resource_time_percent,
    incidents: {
      withBeaconData: covered.length,
      withoutBeaconData: incidents.length - covered.length,
      pageViews: covered.length ? covered.reduce((n, r) => n + r.pageViews, 0) : undefined,
      affected: covered.length ? covered.reduce((n, r) => n + r.affected, 0) : undefined,
    },
  };
}
