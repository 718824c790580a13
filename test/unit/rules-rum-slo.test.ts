/**
 * Which real-user burn-rate rules a `rum_slo` produces (their PromQL is run through promtool in
 * test/integration/rules-rum-promtool.test.ts), and how a bad `rum_slo` is refused.
 */
import { describe, expect, it } from 'vitest';
import { prometheusRules } from '../../agent/prometheusRules.ts';
import { parseConfig } from '../../config/load.ts';

const rules = (vendor: string) => prometheusRules(parseConfig(`vendors: [${vendor}]\n`, 't.yaml', {})).groups;
const alerts = (vendor: string) =>
  rules(vendor)
    .flatMap((g) => g.rules)
    .filter((r) => r.alert && r.labels?.vendor)
    .map((r) => `${r.alert} ${r.labels!.severity}: ${r.expr.match(/\bor\b/g)?.length ?? 0} or`);

describe('rum_slo in vendorwatch rules', () => {
  it('no rum_slo: no real-user group, no real-user alerts', () => {
    expect(rules('{ name: edgeco }').map((g) => g.name)).not.toContain('vendorwatch-rum-slo');
    expect(alerts('{ name: edgeco }')).toEqual([]);
  });

  it('records only the SLIs a vendor has an objective for, and alerts page and ticket on each', () => {
    const groups = rules('{ name: edgeco, rum_slo: { success_percent: 99.9 } }');
    expect(groups.find((g) => g.name === 'vendorwatch-rum-slo')!.rules.map((r) => r.record)).toEqual(
      ['5m', '30m', '1h', '2h', '6h', '1d', '3d'].map((w) => `vendorwatch:vendor_rum_load_errors:ratio_rate${w}`),
    );
    expect(alerts('{ name: edgeco, rum_slo: { success_percent: 99.9 } }')).toEqual([
      'VendorRumLoadBudgetBurn page: 1 or',
      'VendorRumLoadBudgetBurn ticket: 1 or',
    ]);
  });

  it('leaves out window pairs whose threshold reaches 100%: a loose objective pages less, or not at all', () => {
    // budget 10%: 14.4 × 10% cannot be exceeded, 6 × 10% can; budget 20%: no page pair is left
    expect(alerts('{ name: edgeco, rum_slo: { resource_time_ms: 500, resource_time_percent: 90 } }')).toEqual([
      'VendorRumLatencyBudgetBurn page: 0 or',
      'VendorRumLatencyBudgetBurn ticket: 1 or',
    ]);
    expect(alerts('{ name: edgeco, rum_slo: { resource_time_ms: 500, resource_time_percent: 80 } }')).toEqual(['VendorRumLatencyBudgetBurn ticket: 1 or']);
  });

  it('refuses a rum_slo with no objective, or an objective out of range', () => {
    expect(() => rules('{ name: edgeco, rum_slo: { min_page_views: 10 } }')).toThrow('set success_percent, resource_time_ms or both');
    expect(() => rules('{ name: edgeco, rum_slo: { success_percent: 100 } }')).toThrow(/success_percent/);
  });
});
