/**
 * The real-user figures of the SLA report (rum.ts) in each format: a Markdown table beside the
 * summary and a line or two per vendor, a `rum` object in JSON, `rum_*` columns in CSV. Where no
 * beacon covered something the text says so; it never shows a made-up zero.
 */
import type { IncidentReport, VendorReport } from './sla.ts';

export const RUM_DEFINITION =
  'Real users: from the beacon in your pages, the vendor’s resource loads in the UTC hours starting inside the period (the share that did not fail, and the p75 load time estimated from histogram buckets), ' +
  'and the page views affected during its incidents (page views in the incident’s regions while it was open that had a resource of the vendor fail or go over budget), summed over the incidents beacon data covered.';

const count = (n: number) => n.toLocaleString('en-US');
const percent = (n: number | undefined, digits: number) => (n === undefined ? '–' : `${n.toFixed(digits)}%`);
const ms = (n: number | undefined) => (n === undefined ? '–' : `${Math.round(n)} ms`);
const metText = (met: boolean | undefined) => (met === undefined ? 'no data' : met ? 'met' : '**missed**');

/** "1,302 of 4,210 (2 incidents)", "no incidents", or "no beacon data". */
function affectedText(v: VendorReport): string {
  const { withBeaconData, withoutBeaconData, pageViews, affected } = v.rum.incidents;
  if (!withBeaconData) return withoutBeaconData ? 'no beacon data' : 'no incidents';
  const without = withoutBeaconData ? `; ${withoutBeaconData} without beacon data` : '';
  return `${count(affected!)} of ${count(pageViews!)} (${withBeaconData} incident${withBeaconData > 1 ? 's' : ''}${without})`;
}

export function rumSummaryMarkdown(vendors: readonly VendorReport[]): string[] {
  const out = ['## Real users', ''];
  out.push('| vendor | page views | resource loads | loads succeeded | p75 resource time | page views affected during incidents |');
  out.push('| --- | --- | --- | --- | --- | --- |');
  for (const v of vendors) {
    const r = v.rum;
    const [pageViews, loads] = r.loads ? [count(r.pageViews), count(r.loads)] : ['–', 'no beacon data'];
    out.push(`| ${v.vendor} | ${pageViews} | ${loads} | ${percent(r.successPercent, 2)} | ${ms(r.p75Ms)} | ${affectedText(v)} |`);
  }
  return out;
}

/** "inc-1: 310 of 1,200 page views (peak 31% in eu-west; first seen by real users)", or "inc-2: no beacon data". */
function incidentText(i: IncidentReport): string {
  const u = i.realUsers;
  if (!u) return `${i.id}: no beacon data`;
  const first = { probes: 'probes', real_users: 'real users', both: 'probes and real users together' }[u.firstSeenBy];
  return `${i.id}: ${count(u.affected)} of ${count(u.pageViews)} page views (${u.peakRegion ? `peak ${percent(100 * u.peakShare, 0)} in ${u.peakRegion}; ` : ''}first seen by ${first})`;
}

export function rumVendorMarkdown(v: VendorReport): string[] {
  const r = v.rum;
  const out: string[] = [];
  if (!r.loads) out.push('- Real users: no beacon data for this vendor in the period.');
  else {
    out.push(
      `- Real users: ${count(r.pageViews)} page views loaded ${count(r.loads)} resources; ${count(r.failedLoads)} failed ` +
        `(${percent(r.successPercent, 2)} succeeded); p75 resource time ≈ ${ms(r.p75Ms)}.`,
    );
  }
  if (r.slo) {
    const parts = [];
    if (r.slo.success_percent !== undefined) parts.push(`≥ ${r.slo.success_percent}% of loads succeed — ${metText(r.successMet)}`);
    if (r.slo.resource_time_ms !== undefined) {
      parts.push(
        `≥ ${r.slo.resource_time_percent}% within ${r.slo.resource_time_ms} ms (${percent(r.withinPercent, 2)}, estimated from buckets) — ${metText(r.resourceTimeMet)}`,
      );
    }
    out.push(`- Real-user objectives (rum_slo): ${parts.join('; ')}.`);
  }
  if (!v.incidents.length) return out;
  if (!r.incidents.withBeaconData) out.push(`- Page views affected during incidents: no beacon data covered ${v.incidents.map((i) => i.id).join(', ')}.`);
  else out.push(`- Page views affected during incidents: ${affectedText(v)}: ${v.incidents.map(incidentText).join('; ')}.`);
  return out;
}

const round = (n: number, digits: number) => Number(n.toFixed(digits));
const opt = (n: number | undefined, f: (n: number) => number) => (n === undefined ? null : f(n));

export function rumJson(v: VendorReport) {
  const r = v.rum;
  return {
    pageViews: r.pageViews,
    resourceLoads: r.loads,
    failedLoads: r.failedLoads,
    successPercent: opt(r.successPercent, (n) => round(n, 4)),
    p75Seconds: opt(r.p75Ms, (n) => round(n / 1000, 6)),
    slo: r.slo,
    successMet: r.successMet ?? null,
    withinPercent: opt(r.withinPercent, (n) => round(n, 4)),
    resourceTimeMet: r.resourceTimeMet ?? null,
    incidents: {
      withBeaconData: r.incidents.withBeaconData,
      withoutBeaconData: r.incidents.withoutBeaconData,
      pageViews: r.incidents.pageViews ?? null,
      affectedPageViews: r.incidents.affected ?? null,
    },
  };
}

export const RUM_CSV_COLUMNS = [
  'rum_page_views',
  'rum_resource_loads',
  'rum_failed_loads',
  'rum_success_percent',
  'rum_p75_seconds',
  'rum_incident_page_views',
  'rum_incident_page_views_affected',
] as const;
type RumCells = Partial<Record<(typeof RUM_CSV_COLUMNS)[number], number>>;

/** A vendor row's RUM cells; the incident figures sum the incidents with beacon data (empty when none had any). */
export function rumCsvVendor(v: VendorReport): RumCells {
  const r = v.rum;
  return {
    rum_page_views: r.pageViews,
    rum_resource_loads: r.loads,
    rum_failed_loads: r.failedLoads,
    rum_success_percent: r.successPercent,
    rum_p75_seconds: r.p75Ms === undefined ? undefined : r.p75Ms / 1000,
    rum_incident_page_views: r.incidents.pageViews,
    rum_incident_page_views_affected: r.incidents.affected,
  };
}

/** An incident row's RUM cells: empty without beacon data. */
export function rumCsvIncident(i: IncidentReport): RumCells {
  return { rum_incident_page_views: i.realUsers?.pageViews, rum_incident_page_views_affected: i.realUsers?.affected };
}
