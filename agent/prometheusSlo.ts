/**
 * The SLO part of `vendorwatch rules`: availability and latency SLIs from the probes' run counters
 * and duration histograms, and multi-window burn-rate alerts against each vendor's SLA.
 */
import { parseDuration } from '../config/duration.ts';
import { LATENCY_SLA_BUDGET, type Config, type Vendor } from '../config/schema.ts';
import { vendorLinks } from './collector/alerts/alert.ts';
import { phaseBuckets } from './metrics.ts';
import { checkMatcher, type Rule } from './promql.ts';

/** Multi-window burn-rate alerts (Google SRE workbook, ch. 5): long and short window at a burn factor. */
export const burnWindows = {
  page: [
    { long: '1h', short: '5m', factor: 14.4 },
    { long: '6h', short: '30m', factor: 6 },
  ],
  ticket: [
    { long: '1d', short: '2h', factor: 3 },
    { long: '3d', short: '6h', factor: 1 },
  ],
} as const;
export const sliWindows = [...new Set(Object.values(burnWindows).flatMap((ws) => ws.flatMap((w) => [w.short, w.long])))].sort(
  (a, b) => parseDuration(a) - parseDuration(b),
);

export function sliRules(config: Config, vendors: Vendor[]): Rule[] {
  const delivery = checkMatcher(vendors.flatMap((v) => deliveryChecks(config, v)));
  const runs = (w: string, extra = '') => `sum by (vendor) (rate(vendorwatch_check_runs_total{${delivery}${extra}}[${w}]))`;
  const availability = sliWindows.map((w) => ({
    record: `vendorwatch:vendor_availability_errors:ratio_rate${w}`,
    // `or 0 * …` gives 0 rather than no sample while nothing failed.
    expr: `(\n  ${runs(w, ',result="failure"')}\n  or 0 * ${runs(w)}\n)\n/ ${runs(w)}`,
  }));
  const withLatency = vendors.filter((v) => v.sla?.latency_p95_ms !== undefined);
  const latency = withLatency.length
    ? sliWindows.map((w) => ({
        record: `vendorwatch:vendor_latency_errors:ratio_rate${w}`,
        expr: withLatency.map((v) => `(\n${latencyErrors(config, v, w)}\n)`).join('\nor\n'),
      }))
    : [];
  return [...availability, ...latency];
}

/** Share of the vendor's delivery check runs slower than its SLA's p95 latency. */
function latencyErrors(config: Config, vendor: Vendor, window: string): string {
  const where = `${checkMatcher(deliveryChecks(config, vendor))},phase="total"`;
  return (
    `  1 - (\n    ${countAtOrBelow('vendorwatch_check_duration_seconds', phaseBuckets, where, vendor.sla!.latency_p95_ms! / 1000, window)}\n  )\n` +
    `  / sum by (vendor) (rate(vendorwatch_check_duration_seconds_count{${where}}[${window}]))`
  );
}

/**
 * Observations of a histogram at or under a threshold, per second and vendor, from its buckets.
 * Between two bucket bounds it interpolates linearly, as histogram_quantile does; above the largest
 * bound it counts only up to that bound (stricter than the objective).
 */
export function countAtOrBelow(histogram: string, buckets: readonly number[], where: string, threshold: number, window: string): string {
  const rate = (le: number) => `sum by (vendor) (rate(${histogram}_bucket{${where},${leMatcher(le)}}[${window}]))`;
  const hi = buckets.find((b) => b >= threshold);
  const lo = [...buckets].reverse().find((b) => b <= threshold);
  if (hi === undefined) return rate(lo!);
  if (hi === threshold) return rate(hi);
  const loBound = lo ?? 0;
  const weight = round((threshold - loBound) / (hi - loBound));
  return lo === undefined ? `${weight} * ${rate(hi)}` : `${round(1 - weight)} * ${rate(lo)}\n    + ${weight} * ${rate(hi)}`;
}

export function burnAlerts(config: Config, vendor: Vendor): Rule[] {
  if (!vendor.sla || !deliveryChecks(config, vendor).length) return [];
  const links = vendorLinks(vendor, config.alerts.dashboard_url);
  const slos: Slo[] = [
    {
      alert: 'VendorAvailabilityBudgetBurn',
      sli: 'vendorwatch:vendor_availability_errors',
      budget: round((100 - vendor.sla.availability) / 100),
      what: `of ${vendor.name}'s delivery check runs fail`,
      promise: `its ${vendor.sla.availability}% availability SLA`,
    },
  ];
  if (vendor.sla.latency_p95_ms !== undefined) {
    slos.push({
      alert: 'VendorLatencyBudgetBurn',
      sli: 'vendorwatch:vendor_latency_errors',
      budget: LATENCY_SLA_BUDGET,
      what: `of ${vendor.name}'s delivery check runs take longer than ${vendor.sla.latency_p95_ms} ms`,
      promise: `its p95 latency SLA of ${vendor.sla.latency_p95_ms} ms`,
    });
  }
  return slos.flatMap((slo) => sloBurnAlerts(vendor, links, slo));
}

/** One objective of a vendor, as its burn-rate alerts see it. */
export interface Slo {
  alert: string;
  /** The recorded error ratio, without its `:ratio_rate<window>` suffix. */
  sli: string;
  /** The share of events allowed to be errors. */
  budget: number;
  /** "of acme's delivery check runs fail": what the ratio measures, after a percentage. */
  what: string;
  /** "its 99.9% availability SLA": what the budget comes from. */
  promise: string;
  /** A condition each window pair must also meet, given its long window (a traffic guard), with a {vendor} label. */
  guard?: (long: string) => string;
}

/**
 * The page and ticket alerts of one objective: each fires when a long and a short window both burn
 * the budget faster than their factor. A pair whose threshold (factor × budget) reaches 100% could
 * never fire, and is left out; so is a severity left with none.
 */
export function sloBurnAlerts(vendor: Vendor, links: Record<string, string>, slo: Slo): Rule[] {
  const lasts = { page: 'about 2 to 5 days', ticket: 'about 10 to 30 days' };
  const sel = (w: string) => `${slo.sli}:ratio_rate${w}{vendor="${vendor.name}"}`;
  return (['page', 'ticket'] as const).flatMap((severity) => {
    const windows = burnWindows[severity].filter((w) => w.factor * slo.budget < 1);
    if (!windows.length) return [];
    const expr = windows
      .map(
        ({ long, short, factor }) =>
          `(\n  ${sel(long)} > (${factor} * ${slo.budget})\n  and ${sel(short)} > (${factor} * ${slo.budget})` +
          `${slo.guard ? `\n  and on (vendor) ${slo.guard(long)}` : ''}\n)`,
      )
      .join('\nor\n');
    return [
      {
        alert: slo.alert,
        expr,
        labels: { severity, vendor: vendor.name },
        annotations: {
          summary: `${vendor.name} is using up the error budget of ${slo.promise} ${severity === 'page' ? 'fast' : 'steadily'}`,
          description:
            `{{ $value | humanizePercentage }} ${slo.what}, against the ${round(slo.budget * 100)}% ${slo.promise} allows. ` +
            `At this rate a 30-day error budget lasts ${lasts[severity]}.`,
          ...links,
        },
      },
    ];
  });
}

/** A vendor's delivery checks: the SLIs count their runs. */
export function deliveryChecks(config: Config, vendor: Vendor): string[] {
  return config.checks.filter((c) => c.vendor === vendor.name && c.role === 'delivery').map((c) => c.name);
}

/** Prometheus 3 writes integer bucket bounds as "1.0"; Prometheus 2 as "1". Match both. */
function leMatcher(bound: number): string {
  return Number.isInteger(bound) ? `le=~"${bound}(\\\\.0)?"` : `le="${bound}"`;
}

/** Rounds away float noise such as 0.0010000000000000009. */
export function round(n: number): number {
  return Number(n.toPrecision(12));
}
