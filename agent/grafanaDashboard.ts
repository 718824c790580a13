/**
 * `vendorwatch dashboard`: a Grafana dashboard over vendorwatch's metrics. The top row holds the few
 * numbers an on-call engineer needs first — each vendor's state, its availability over the time
 * range and its p95 latency by region — then come drill-downs by check and phase, by probe (so one
 * bad probe stands out), and what real users get from each vendor (RUM).
 *
 * Vendor states come from the collector (`vendorwatch_vendor_state`) or, where consensus runs in
 * Prometheus, from `vendorwatch rules` (`vendorwatch:vendor_state`), whichever exists.
 */
import type { Config } from '../config/schema.ts';
import { vendorStates } from './collector/state.ts';
import { checkMatcher } from './promql.ts';

const datasource = { type: 'prometheus', uid: '${datasource}' };
const GRID_WIDTH = 24;

interface Target {
  expr: string;
  legendFormat?: string;
  instant?: boolean;
}

/** A panel before layout: Grafana's panel JSON without id and position, plus its size. */
interface PanelSpec {
  type: 'stat' | 'bargauge' | 'timeseries' | 'state-timeline';
  title: string;
  description: string;
  w: number;
  h: number;
  targets: Target[];
  unit?: string;
  /** Further Grafana panel JSON (fieldConfig and options), merged in as given. */
  fieldConfig?: Record<string, unknown>;
  options?: Record<string, unknown>;
}

export function grafanaDashboard(config: Config): Record<string, unknown> {
  const delivery = config.checks.filter((c) => c.role === 'delivery').map((c) => c.name);
  // The top row's availability and latency are the SLA's: delivery checks only (all checks if none).
  const sla = `vendor=~"$vendor",region=~"$region",${delivery.length ? checkMatcher(delivery) : 'check=~".+"'}`;
  const sel = 'vendor=~"$vendor",region=~"$region",check=~"$check"';
  return {
    uid: 'vendorwatch',
    title: 'vendorwatch',
    description: 'Vendors watched by vendorwatch: state, availability and latency first, then checks, probes and real users.',
    tags: ['vendorwatch'],
    schemaVersion: 39,
    version: 1,
    editable: true,
    graphTooltip: 1,
    time: { from: 'now-6h', to: 'now' },
    refresh: '30s',
    templating: { list: variables() },
    annotations: {
      list: [
        {
          name: 'Vendor state changes',
          datasource,
          enable: true,
          iconColor: 'orange',
          expr: 'sum by (vendor, from, to) (increase(vendorwatch_vendor_state_changes_total{vendor=~"$vendor"}[$__interval])) > 0',
          titleFormat: '{{vendor}}: {{from}} → {{to}}',
          step: '1m',
        },
      ],
    },
    panels: layout([
      {
        title: 'Vendors',
        panels: [
          {
            type: 'stat',
            title: 'State',
            description: 'Each vendor’s most severe state now, decided by consensus across probes.',
            w: 8,
            h: 6,
            targets: [{ expr: stateRank(), legendFormat: '{{vendor}}', instant: true }],
            fieldConfig: { defaults: { mappings: stateMappings(), color: { mode: 'thresholds' } } },
            options: {
              colorMode: 'background',
              graphMode: 'none',
              textMode: 'value_and_name',
              reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
            },
          },
          {
            type: 'stat',
            title: 'Availability over the range',
            description: 'Share of delivery check runs that did not fail, over the dashboard’s time range; red below the vendor’s SLA.',
            w: 8,
            h: 6,
            unit: 'percentunit',
            targets: [
              {
                expr: `sum by (vendor) (increase(vendorwatch_check_runs_total{${sla},result!="failure"}[$__range]))\n/ sum by (vendor) (increase(vendorwatch_check_runs_total{${sla}}[$__range]))`,
                legendFormat: '{{vendor}}',
                instant: true,
              },
            ],
            fieldConfig: {
              defaults: { decimals: 3, thresholds: thresholds(0.99) },
              overrides: config.vendors.flatMap((v) =>
                v.sla ? [{ matcher: { id: 'byName', options: v.name }, properties: [{ id: 'thresholds', value: thresholds(v.sla.availability / 100) }] }] : [],
              ),
            },
            options: {
              colorMode: 'background',
              graphMode: 'none',
              textMode: 'value_and_name',
              reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
            },
          },
          {
            type: 'bargauge',
            title: 'p95 latency by region over the range',
            description: 'p95 of delivery check runs (total time) per vendor and region, over the dashboard’s time range.',
            w: 8,
            h: 6,
            unit: 's',
            targets: [
              {
                expr: `histogram_quantile(0.95, sum by (vendor, region, le) (increase(vendorwatch_check_duration_seconds_bucket{${sla},phase="total"}[$__range])))`,
                legendFormat: '{{vendor}} {{region}}',
                instant: true,
              },
            ],
            options: { orientation: 'horizontal', displayMode: 'gradient', reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false } },
          },
          {
            type: 'state-timeline',
            title: 'State over time',
            description: 'Each vendor’s most severe state over the time range: when it started and how long it lasted.',
            w: 24,
            h: 6,
            targets: [{ expr: stateRank(), legendFormat: '{{vendor}}' }],
            fieldConfig: { defaults: { mappings: stateMappings(), color: { mode: 'thresholds' } } },
            options: { showValue: 'never', mergeValues: true },
          },
        ],
      },
      {
        title: 'Checks',
        panels: [
          timeseries('Success ratio by check', 'Share of runs that did not fail, per check.', 'percentunit', [
            {
              expr: `sum by (check) (rate(vendorwatch_check_runs_total{${sel},result!="failure"}[$__rate_interval]))\n/ sum by (check) (rate(vendorwatch_check_runs_total{${sel}}[$__rate_interval]))`,
              legendFormat: '{{check}}',
            },
          ]),
          timeseries('Failures by check and reason', 'Failed runs per second, by the bounded failure reason.', 'short', [
            {
              expr: `sum by (check, reason) (rate(vendorwatch_check_runs_total{${sel},result="failure"}[$__rate_interval]))`,
              legendFormat: '{{check}} {{reason}}',
            },
          ]),
          timeseries('p95 by phase', 'Where the time goes: dns, connect, tls, ttfb, transfer and total.', 's', [
            {
              expr: `histogram_quantile(0.95, sum by (phase, le) (rate(vendorwatch_check_duration_seconds_bucket{${sel}}[$__rate_interval])))`,
              legendFormat: '{{phase}}',
            },
          ]),
          timeseries('p95 total time by check and region', 'Total run time per check and region.', 's', [
            {
              expr: `histogram_quantile(0.95, sum by (check, region, le) (rate(vendorwatch_check_duration_seconds_bucket{${sel},phase="total"}[$__rate_interval])))`,
              legendFormat: '{{check}} {{region}}',
            },
          ]),
        ],
      },
      {
        title: 'Probes',
        panels: [
          {
            type: 'state-timeline',
            title: 'Worst check result per probe',
            description: 'The lowest result of the selected checks on each probe: one red row among green ones is a bad probe, not a bad vendor.',
            w: 12,
            h: 8,
            targets: [{ expr: `min by (region, probe) (vendorwatch_check_success{${sel}})`, legendFormat: '{{region}}/{{probe}}' }],
            fieldConfig: { defaults: { mappings: resultMappings(), color: { mode: 'thresholds' } } },
            options: { showValue: 'never', mergeValues: true },
          },
          {
            type: 'state-timeline',
            title: 'Check results per probe',
            description: 'Every selected check on every probe.',
            w: 12,
            h: 8,
            targets: [{ expr: `max by (check, region, probe) (vendorwatch_check_success{${sel}})`, legendFormat: '{{check}} {{region}}/{{probe}}' }],
            fieldConfig: { defaults: { mappings: resultMappings(), color: { mode: 'thresholds' } } },
            options: { showValue: 'never', mergeValues: true },
          },
          timeseries('Consensus votes by region', 'Votes the collector counted per region and vote.', 'short', [
            { expr: `sum by (region, vote) (vendorwatch_consensus_votes{${sel}})`, legendFormat: '{{region}} {{vote}}' },
          ]),
          {
            type: 'state-timeline',
            title: 'Probes reporting',
            description: 'Whether each probe reports to the collector.',
            w: 12,
            h: 8,
            targets: [{ expr: 'max by (region, probe) (vendorwatch_probe_up{region=~"$region"})', legendFormat: '{{region}}/{{probe}}' }],
            fieldConfig: {
              defaults: {
                mappings: [{ type: 'value', options: { '0': { text: 'down', color: 'red', index: 0 }, '1': { text: 'up', color: 'green', index: 1 } } }],
                color: { mode: 'thresholds' },
              },
            },
            options: { showValue: 'never', mergeValues: true },
          },
        ],
      },
      {
        title: 'Real users (RUM)',
        panels: [
          timeseries('Resource time p75 by vendor', 'What real users wait for each vendor’s resources.', 's', [
            {
              expr: 'histogram_quantile(0.75, sum by (vendor, le) (rate(vendorwatch_rum_resource_seconds_bucket{vendor=~"$vendor"}[$__rate_interval])))',
              legendFormat: '{{vendor}}',
            },
          ]),
          timeseries('Resources by vendor and cache', 'Resources per second real users fetched, by vendor and cache status.', 'short', [
            {
              expr: 'sum by (vendor, cache) (rate(vendorwatch_rum_resource_seconds_count{vendor=~"$vendor"}[$__rate_interval]))',
              legendFormat: '{{vendor}} {{cache}}',
            },
          ]),
          timeseries('LCP p75 by vendor', 'Largest Contentful Paint, by the vendor that delivered the LCP resource.', 's', [
            {
              expr: 'histogram_quantile(0.75, sum by (vendor, le) (rate(vendorwatch_rum_web_vital_bucket{vendor=~"$vendor",vital=~"(?i)lcp"}[$__rate_interval])))',
              legendFormat: '{{vendor}}',
            },
          ]),
          timeseries('Web vitals p75 (timings)', 'LCP, INP, FCP and TTFB at the 75th percentile.', 's', [
            {
              expr: 'histogram_quantile(0.75, sum by (vital, le) (rate(vendorwatch_rum_web_vital_bucket{vendor=~"$vendor",vital!~"(?i)cls"}[$__rate_interval])))',
              legendFormat: '{{vital}}',
            },
          ]),
          timeseries('CLS p75 by page group', 'Cumulative Layout Shift (unitless) at the 75th percentile.', 'none', [
            {
              expr: 'histogram_quantile(0.75, sum by (page_group, le) (rate(vendorwatch_rum_web_vital_bucket{vendor=~"$vendor",vital=~"(?i)cls"}[$__rate_interval])))',
              legendFormat: '{{page_group}}',
            },
          ]),
          timeseries('Navigation phases p75', 'Navigation Timing phases of real page views.', 's', [
            {
              expr: 'histogram_quantile(0.75, sum by (phase, le) (rate(vendorwatch_rum_navigation_seconds_bucket[$__rate_interval])))',
              legendFormat: '{{phase}}',
            },
          ]),
        ],
      },
    ]),
  };
}

function timeseries(title: string, description: string, unit: string, targets: Target[]): PanelSpec {
  return { type: 'timeseries', title, description, w: 12, h: 8, unit, targets };
}

/** Vendor, region and check pickers; each narrows the next. */
function variables(): Record<string, unknown>[] {
  const query = (name: string, label: string, definition: string) => ({
    name,
    label,
    type: 'query',
    datasource,
    definition,
    query: { query: definition, refId: `${name}-variable` },
    refresh: 2,
    sort: 1,
    multi: true,
    includeAll: true,
    allValue: '.*',
    current: { selected: true, text: ['All'], value: ['$__all'] },
  });
  return [
    { name: 'datasource', label: 'Data source', type: 'datasource', query: 'prometheus', current: {}, refresh: 1 },
    query('vendor', 'Vendor', 'label_values(vendorwatch_check_success, vendor)'),
    query('region', 'Region', 'label_values(vendorwatch_check_success{vendor=~"$vendor"}, region)'),
    query('check', 'Check', 'label_values(vendorwatch_check_success{vendor=~"$vendor",region=~"$region"}, check)'),
  ];
}

/**
 * Each vendor's most severe state as a number (hard_down highest, unknown 0): the `or` chain keeps the
 * first state that holds, most severe first. Reads the collector's gauge or the rules' recording.
 */
function stateRank(): string {
  return vendorStates
    .map((state, i) => {
      const holds = `max by (vendor) (vendorwatch_vendor_state{vendor=~"$vendor",state="${state}"} or vendorwatch:vendor_state{vendor=~"$vendor",state="${state}"}) == 1`;
      return `${vendorStates.length - 1 - i} * (${holds})`;
    })
    .join('\nor ');
}

const stateStyle: Record<(typeof vendorStates)[number], { text: string; color: string }> = {
  hard_down: { text: 'hard down', color: 'dark-red' },
  regional_outage: { text: 'regional outage', color: 'red' },
  degraded: { text: 'degraded', color: 'orange' },
  users_impacted: { text: 'users impacted', color: 'orange' },
  api_down: { text: 'API down', color: 'yellow' },
  limited_visibility: { text: 'limited visibility', color: 'blue' },
  operational: { text: 'operational', color: 'green' },
  unknown: { text: 'unknown', color: '#8e8e8e' },
};

function stateMappings(): unknown[] {
  const options = Object.fromEntries(vendorStates.map((state, i) => [String(vendorStates.length - 1 - i), { ...stateStyle[state], index: i }]));
  return [{ type: 'value', options }];
}

function resultMappings(): unknown[] {
  return [{ type: 'value', options: { '0': { text: 'fail', color: 'red', index: 0 }, '1': { text: 'ok', color: 'green', index: 1 } } }];
}

/** Red below the target, green at or above. */
function thresholds(target: number) {
  return {
    mode: 'absolute',
    steps: [
      { color: 'red', value: null },
      { color: 'green', value: target },
    ],
  };
}

/** Places rows and their panels left to right, top to bottom, on Grafana's 24-column grid. */
function layout(rows: { title: string; panels: PanelSpec[] }[]): Record<string, unknown>[] {
  const panels: Record<string, unknown>[] = [];
  let y = 0;
  for (const row of rows) {
    panels.push({ type: 'row', id: panels.length + 1, title: row.title, collapsed: false, panels: [], gridPos: { x: 0, y, w: GRID_WIDTH, h: 1 } });
    y += 1;
    let x = 0;
    let rowHeight = 0;
    for (const { w, h, unit, targets, fieldConfig, ...panel } of row.panels) {
      if (x + w > GRID_WIDTH) {
        x = 0;
        y += rowHeight;
        rowHeight = 0;
      }
      const defaults = { ...(fieldConfig?.defaults as object | undefined), ...(unit ? { unit } : {}) };
      panels.push({
        ...panel,
        id: panels.length + 1,
        datasource,
        gridPos: { x, y, w, h },
        targets: targets.map((t, i) => ({ refId: String.fromCharCode(65 + i), datasource, range: !t.instant, ...t })),
        fieldConfig: { overrides: [], ...fieldConfig, defaults },
      });
      x += w;
      rowHeight = Math.max(rowHeight, h);
    }
    y += rowHeight;
  }
  return panels;
}
