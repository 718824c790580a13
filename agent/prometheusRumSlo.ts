/**
 * The real-user part of `vendorwatch rules`: SLIs from the collector's RUM metrics (beacon data)
 * and multi-window burn-rate alerts against each vendor's `rum_slo`, the same machinery as the
 * probe SLOs (prometheusSlo.ts).
 *
 *   load errors — failed resource loads ÷ resource loads (vendorwatch_rum_resource_failures_total,
 *                 vendorwatch_rum_resources_total), capped at 1: a failure the browser kept no
 *                 Resource Timing entry for counts as a failure but not as a load;
 *   slow loads  — loads slower than `resource_time_ms`, from the vendorwatch_rum_resource_seconds
 *                 buckets (interpolated like histogram_quantile).
 * Every SLI sums `by (vendor)` over the other labels (type, cache, protocol, region), so it holds
 * whatever labels the RUM metrics carry. An alert needs `min_page_views` page views that loaded
 * the vendor (vendorwatch_rum_vendor_page_views_total) in its long window: a handful of visits,
 * one of them on a bad network, pages nobody.
 */
import type { Config, Vendor } from '../config/schema.ts';
import { vendorLinks } from './collector/alerts/alert.ts';
import { rumBuckets } from './collector/rum/buckets.ts';
import { countAtOrBelow, round, sliWindows, sloBurnAlerts, type Slo } from './prometheusSlo.ts';
import { nameMatcher, type Rule } from './promql.ts';

const LOAD_ERRORS = 'vendorwatch:vendor_rum_load_errors';
const SLOW_LOADS = 'vendorwatch:vendor_rum_slow_loads';

/** The recording rules of the RUM SLIs, for the vendors with a `rum_slo`; empty without any. */
export function rumSliRules(config: Config): Rule[] {
  const withSuccess = config.vendors.filter((v) => v.rum_slo?.success_percent !== undefined);
  const withTime = config.vendors.filter((v) => v.rum_slo?.resource_time_ms !== undefined);
  const vendors = nameMatcher(
    'vendor',
    withSuccess.map((v) => v.name),
  );
  const loads = (metric: string, w: string) => `sum by (vendor) (rate(${metric}{${vendors}}[${w}]))`;
  const loadErrors = withSuccess.length
    ? sliWindows.map((w) => ({
        record: `${LOAD_ERRORS}:ratio_rate${w}`,
        expr: `clamp_max(\n  ${loads('vendorwatch_rum_resource_failures_total', w)}\n  / ${loads('vendorwatch_rum_resources_total', w)},\n  1\n)`,
      }))
    : [];
  const slowLoads = withTime.length
    ? sliWindows.map((w) => ({
        record: `${SLOW_LOADS}:ratio_rate${w}`,
        expr: withTime.map((v) => `(\n${slowShare(v, w)}\n)`).join('\nor\n'),
      }))
    : [];
  return [...loadErrors, ...slowLoads];
}

/** Share of the vendor's timed resource loads slower than its `rum_slo.resource_time_ms`. */
function slowShare(vendor: Vendor, window: string): string {
  const where = `vendor="${vendor.name}"`;
  const threshold = vendor.rum_slo!.resource_time_ms! / 1000;
  return (
    `  1 - (\n    ${countAtOrBelow('vendorwatch_rum_resource_seconds', rumBuckets, where, threshold, window)}\n  )\n` +
    `  / sum by (vendor) (rate(vendorwatch_rum_resource_seconds_count{${where}}[${window}]))`
  );
}

/** VendorRumLoadBudgetBurn and VendorRumLatencyBudgetBurn for a vendor with a `rum_slo`. */
export function rumBurnAlerts(config: Config, vendor: Vendor): Rule[] {
  const slo = vendor.rum_slo;
  if (!slo) return [];
  const v = vendor.name;
  const guard = (long: string) => `sum by (vendor) (increase(vendorwatch_rum_vendor_page_views_total{vendor="${v}"}[${long}])) >= ${slo.min_page_views}`;
  const slos: Slo[] = [];
  if (slo.success_percent !== undefined) {
    slos.push({
      alert: 'VendorRumLoadBudgetBurn',
      sli: LOAD_ERRORS,
      budget: round((100 - slo.success_percent) / 100),
      what: `of ${v}'s resource loads fail in real users' browsers`,
      promise: `its real-user objective of ${slo.success_percent}% successful loads`,
      guard,
    });
  }
  if (slo.resource_time_ms !== undefined) {
    slos.push({
      alert: 'VendorRumLatencyBudgetBurn',
      sli: SLOW_LOADS,
      budget: round((100 - slo.resource_time_percent) / 100),
      what: `of ${v}'s resource loads take longer than ${slo.resource_time_ms} ms in real users' browsers`,
      promise: `its real-user objective of ${slo.resource_time_percent}% of loads within ${slo.resource_time_ms} ms`,
      guard,
    });
  }
  const links = vendorLinks(vendor, config.alerts.dashboard_url);
  return slos.flatMap((s) => sloBurnAlerts(vendor, links, s));
}
