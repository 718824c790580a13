/**
 * The status page's pictures, drawn by the server as inline SVG (no script, nothing fetched, so
 * the page's strict CSP holds and they show with JavaScript off). Pure: data in, markup out.
 *
 *   historyStrip  one bar per hour, coloured by the vendor's worst state in it; "no data" before
 *                 the journal first knew the vendor. Each bar's <title> is its tooltip.
 *   latencyChart  p50 and p95 of delivery check run times per hour, as polylines broken where an
 *                 hour had no successful run, with the latency SLA as a dashed line.
 * Colours come from the page's CSS classes (s-<state>), so dark mode follows.
 */
import type { StateHour } from '../report/sla.ts';
import { html, type Html } from './html.ts';
import type { VendorState } from './state.ts';

export const STATE_LABELS: Record<VendorState, string> = {
  hard_down: 'hard down',
  regional_outage: 'regional outage',
  degraded: 'degraded',
  users_impacted: 'users impacted',
  api_down: 'API down',
  limited_visibility: 'limited visibility',
  operational: 'operational',
  unknown: 'unknown',
};

const HOUR_MS = 3_600_000;
/** "09:00" in UTC. */
const clock = (ms: number) => new Date(ms).toISOString().slice(11, 16);
const hourSpan = (hour: number) => `${new Date(hour).toISOString().slice(0, 10)} ${clock(hour)}–${clock(hour + HOUR_MS)} UTC`;

export function historyStrip(hours: readonly StateHour[]): Html {
  const width = 10;
  const bars = hours.map(
    (h, i) =>
      html`<rect x="${i * width + 0.5}" y="0" width="${width - 1}" height="24" class="${h.worst ? `s-${h.worst}` : 'nodata'}"><title>${hourSpan(h.hour)}: ${
        h.worst ? STATE_LABELS[h.worst] : 'no data'
      }</title></rect>`,
  );
  const first = hours[0];
  const label = first ? `Worst state per hour over the last ${hours.length} hours` : 'No history';
  return html`<figure class="strip"><svg viewBox="0 0 ${hours.length * width} 24" preserveAspectRatio="none" role="img" aria-label="${label}">${bars}</svg>
<figcaption><span>${first ? `${clock(first.hour)} UTC` : ''}</span><span>${hours.length} h, worst state per hour</span><span>now</span></figcaption></figure>`;
}

/** One hour's delivery check run times, ms; undefined when no run succeeded in it. */
export interface LatencyHour {
  hour: number;
  runs: number;
  p50Ms: number | undefined;
  p95Ms: number | undefined;
}

const W = 400;
const H = 130;
const LEFT = 52;
const RIGHT = 8;
const TOP = 8;
const BOTTOM = 20;

/** The smallest of 1, 2, 5 × 10^n at or above `ms`: a round top for the y axis. */
function roundUp(ms: number): number {
  const step = 10 ** Math.floor(Math.log10(ms));
  return [1, 2, 5, 10].map((m) => m * step).find((v) => v >= ms)!;
}

export function latencyChart(hours: readonly LatencyHour[], slaP95Ms: number | undefined): Html {
  const measured = hours.filter((h) => h.p95Ms !== undefined);
  if (!measured.length) return html`<p class="chart-empty">No delivery check run succeeded in the last ${hours.length} hours: no latency to draw.</p>`;
  const top = roundUp(Math.max(1, slaP95Ms ?? 0, ...measured.map((h) => h.p95Ms!)));
  const x = (i: number) => LEFT + ((W - LEFT - RIGHT) * (i + 0.5)) / hours.length;
  const y = (ms: number) => TOP + (H - TOP - BOTTOM) * (1 - ms / top);
  const fmt = (n: number) => n.toFixed(1);

  // A polyline per run of consecutive hours with data: a gap is a gap, not a straight line.
  const lines = (pick: (h: LatencyHour) => number | undefined, cls: string) => {
    const runs: [number, number][][] = [[]];
    hours.forEach((h, i) => {
      const v = pick(h);
      if (v === undefined) runs.push([]);
      else runs.at(-1)!.push([x(i), y(v)]);
    });
    return runs
      .filter((r) => r.length)
      .map((r) =>
        r.length === 1
          ? html`<circle class="${cls}" cx="${fmt(r[0]![0])}" cy="${fmt(r[0]![1])}" r="2"/>`
          : html`<polyline class="${cls}" points="${r.map(([px, py]) => `${fmt(px)},${fmt(py)}`).join(' ')}"/>`,
      );
  };
  const ms = (v: number | undefined) => (v === undefined ? '–' : `${Math.round(v)} ms`);
  const tips = hours.map((h, i) =>
    h.p95Ms === undefined
      ? ''
      : html`<circle class="tip" cx="${fmt(x(i))}" cy="${fmt(y(h.p95Ms))}" r="4"><title>${hourSpan(h.hour)}: p50 ${ms(h.p50Ms)}, p95 ${ms(h.p95Ms)} (${h.runs} runs)</title></circle>`,
  );
  const last = hours.length - 1;
  return html`<figure class="latency"><svg viewBox="0 0 ${W} ${H}" role="img" aria-label="Delivery check run time per hour, p50 and p95, ms">
<line class="axis" x1="${LEFT}" y1="${TOP}" x2="${LEFT}" y2="${H - BOTTOM}"/><line class="axis" x1="${LEFT}" y1="${H - BOTTOM}" x2="${W - RIGHT}" y2="${H - BOTTOM}"/>
<text class="label" x="${LEFT - 4}" y="${TOP + 4}" text-anchor="end">${top} ms</text><text class="label" x="${LEFT - 4}" y="${H - BOTTOM}" text-anchor="end">0</text>
<text class="label" x="${fmt(x(0))}" y="${H - 5}" text-anchor="start">${clock(hours[0]!.hour)}</text><text class="label" x="${fmt(x(last))}" y="${H - 5}" text-anchor="end">${clock(hours[last]!.hour)} UTC</text>
${slaP95Ms === undefined ? '' : html`<line class="sla" x1="${LEFT}" y1="${fmt(y(slaP95Ms))}" x2="${W - RIGHT}" y2="${fmt(y(slaP95Ms))}"><title>SLA: p95 ≤ ${slaP95Ms} ms</title></line>`}
${lines((h) => h.p95Ms, 'p95')}${lines((h) => h.p50Ms, 'p50')}${tips}
</svg><figcaption><span class="key p50">p50</span> <span class="key p95">p95</span>${slaP95Ms === undefined ? '' : html` <span class="key sla">SLA p95 ${slaP95Ms} ms</span>`} · delivery check run time per hour</figcaption></figure>`;
}
