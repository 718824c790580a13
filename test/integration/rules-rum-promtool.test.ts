/**
 * The real-user burn-rate rules of `vendorwatch rules` through the real promtool: they pass
 * `promtool check rules`, their SLIs sum over every label but the vendor (so a `region` label
 * changes nothing), they page and ticket on a fast burn, and a handful of page views fires nothing.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runCli, tempDir } from '../support/processes.ts';
import { promtool, writeRules } from '../support/prometheus.ts';

const dir = tempDir('vendorwatch-rum-rules-');
const config = join(dir, 'vendorwatch.yaml');
// edgeco has only real-user objectives (no checks): 99% of loads succeed, 95% within 500 ms, at least 100 page views an hour.
writeFileSync(
  config,
  `alerts: { dashboard_url: "https://grafana.example.com/d/vendorwatch" }
vendors:
  - name: edgeco
    kind: cdn
    rum_slo: { success_percent: 99, resource_time_ms: 500, min_page_views: 100 }
  - name: payco
    kind: payment
`,
);
const links = { dashboard_url: 'https://grafana.example.com/d/vendorwatch?var-vendor=edgeco' };

interface Series {
  series: string;
  values: string;
}
const instance = 'instance="collector:9797",job="vendorwatch"';
/** Loads and failed loads of edgeco in one region (the label engineer A's RUM regions add). */
const loads = (region: string, loads: string, failed: string): Series[] => [
  { series: `vendorwatch_rum_resources_total{vendor="edgeco",protocol="h2",region="${region}",${instance}}`, values: loads },
  { series: `vendorwatch_rum_resource_failures_total{vendor="edgeco",region="${region}",${instance}}`, values: failed },
];
const pageViews = (values: string): Series => ({ series: `vendorwatch_rum_vendor_page_views_total{vendor="edgeco",${instance}}`, values });

let rulesFile: string;

/** Runs one `promtool test rules` scenario (one-minute samples and evaluations); promtool's output explains a failure. */
function scenario(name: string, test: { input_series: Series[]; alert_rule_test?: unknown[]; promql_expr_test?: unknown[] }, rules = rulesFile): void {
  const file = join(dir, `${name.replace(/\W+/g, '-')}.test.yaml`);
  writeFileSync(file, stringify({ rule_files: [rules], evaluation_interval: '1m', tests: [{ name, interval: '1m', ...test }] }, { lineWidth: 0 }));
  const r = promtool(['test', 'rules', file]);
  expect(r.output).toContain('SUCCESS');
  expect(r.status).toBe(0);
}

const burn = (what: string, budget: string, promise: string) =>
  (['page', 'ticket'] as const).map((severity) => ({
    exp_labels: { severity, vendor: 'edgeco' },
    exp_annotations: {
      summary: `edgeco is using up the error budget of ${promise} ${severity === 'page' ? 'fast' : 'steadily'}`,
      description: `${what}, against the ${budget} ${promise} allows. At this rate a 30-day error budget lasts about ${severity === 'page' ? '2 to 5' : '10 to 30'} days.`,
      ...links,
    },
  }));

beforeAll(async () => {
  rulesFile = await writeRules(config, dir);
}, 120_000);

describe('vendorwatch rules: real-user SLOs', () => {
  it('passes promtool check rules', () => {
    const r = promtool(['check', 'rules', rulesFile]);
    expect(r.output).toMatch(/SUCCESS: \d+ rules found/);
    expect(r.status).toBe(0);
  });

  it('half the loads failing (all of eu-west, none of us-east) with plenty of page views → load burn: page and ticket', () => {
    scenario('rum load burn', {
      input_series: [...loads('eu-west', '0+60x90', '0+60x90'), ...loads('us-east', '0+60x90', '0x90'), pageViews('0+20x90')],
      promql_expr_test: [
        // one ratio per vendor, whatever the regions
        {
          expr: 'vendorwatch:vendor_rum_load_errors:ratio_rate5m',
          eval_time: '30m',
          exp_samples: [{ labels: 'vendorwatch:vendor_rum_load_errors:ratio_rate5m{vendor="edgeco"}', value: 0.5 }],
        },
      ],
      alert_rule_test: [
        {
          eval_time: '60m',
          alertname: 'VendorRumLoadBudgetBurn',
          exp_alerts: burn("50% of edgeco's resource loads fail in real users' browsers", '1%', 'its real-user objective of 99% successful loads'),
        },
        { eval_time: '60m', alertname: 'VendorRumLatencyBudgetBurn', exp_alerts: [] },
      ],
    });
  });

  it('the same failures over a handful of page views (6 an hour, under min_page_views 100) → no alert; with min_page_views 1 they page', async () => {
    const input_series = [...loads('eu-west', '0+1x90', '0+1x90'), ...loads('us-east', '0+1x90', '0x90'), pageViews('0+0.1x90')];
    scenario('rum load burn, little traffic', {
      input_series,
      alert_rule_test: ['30m', '60m', '90m'].map((eval_time) => ({ eval_time, alertname: 'VendorRumLoadBudgetBurn', exp_alerts: [] })),
    });
    // The guard, not the failure share, is what holds them back.
    const unguarded = join(dir, 'unguarded.yaml');
    writeFileSync(unguarded, `vendors: [{ name: edgeco, rum_slo: { success_percent: 99, min_page_views: 1 } }]\n`);
    const { code, stdout } = await runCli(['rules', '--config', unguarded]);
    expect(code).toBe(0);
    writeFileSync(join(dir, 'unguarded-rules.yaml'), stdout);
    scenario(
      'rum load burn, little traffic, no guard',
      {
        input_series,
        promql_expr_test: [
          {
            expr: 'ALERTS{alertname="VendorRumLoadBudgetBurn",alertstate="firing"}',
            eval_time: '60m',
            exp_samples: ['page', 'ticket'].map((severity) => ({
              labels: `ALERTS{alertname="VendorRumLoadBudgetBurn",alertstate="firing",severity="${severity}",vendor="edgeco"}`,
              value: 1,
            })),
          },
        ],
      },
      join(dir, 'unguarded-rules.yaml'),
    );
  }, 120_000);

  it('80% of loads slower than 500 ms, across types and cache outcomes → latency burn: page and ticket', () => {
    const bucket = (type: string, le: string, values: string): Series => ({
      series: `vendorwatch_rum_resource_seconds_bucket{vendor="edgeco",type="${type}",cache="miss",region="eu-west",le="${le}",${instance}}`,
      values,
    });
    const count = (type: string, values: string): Series => ({
      series: `vendorwatch_rum_resource_seconds_count{vendor="edgeco",type="${type}",cache="miss",region="eu-west",${instance}}`,
      values,
    });
    scenario('rum latency burn', {
      input_series: [
        bucket('img', '0.5', '0+2x90'),
        count('img', '0+5x90'),
        bucket('script', '0.5', '0+0x90'),
        count('script', '0+5x90'),
        pageViews('0+20x90'),
      ],
      alert_rule_test: [
        {
          eval_time: '60m',
          alertname: 'VendorRumLatencyBudgetBurn',
          exp_alerts: burn(
            "80% of edgeco's resource loads take longer than 500 ms in real users' browsers",
            '5%',
            'its real-user objective of 95% of loads within 500 ms',
          ),
        },
      ],
    });
  });
});
