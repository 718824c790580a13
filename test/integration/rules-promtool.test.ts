/**
 * `vendorwatch rules` through the real promtool: the generated rules pass `promtool check rules`, and
 * `promtool test rules` scenarios (probe metrics in, vendor states and alerts out) show they reach the
 * collector's verdicts and raise its alerts under the alert contract of docs/alerts.md: one alert identity
 * ({alertname, vendor, severity}) per severity an incident reaches, held until the vendor is operational.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { runCli, tempDir } from '../support/processes.ts';
import { promtool, writeRules } from '../support/prometheus.ts';

const dir = tempDir('vendorwatch-rules-');
const config = join(dir, 'vendorwatch.yaml');

// acme-cdn: every role, global defaults (min_probes 2, strict majorities), 10s interval so W = 30s.
// payco: min_probes 3 from the vendor, quorum 0.3 and a 1m window from the check.
writeFileSync(
  config,
  `consensus: { min_probes: 2 }
alerts: { dashboard_url: "https://grafana.example.com/d/vendorwatch" }
vendors:
  - name: acme-cdn
    kind: cdn
    sla: { availability: 99.9, latency_p95_ms: 300 }
    runbook: https://wiki.example.com/runbooks/acme-cdn
  - name: payco
    kind: payment
    consensus: { min_probes: 3 }
checks:
  - { name: acme-js, vendor: acme-cdn, kind: http, url: "https://static.example.com/app.js", interval: 10s, timeout: 5s }
  - { name: acme-big, vendor: acme-cdn, role: performance, kind: http, url: "https://static.example.com/big.bin", interval: 10s, timeout: 5s }
  - { name: acme-purge-api, vendor: acme-cdn, role: control, kind: http, url: "https://api.acme.example/v1/ping", interval: 10s, timeout: 5s }
  - { name: acme-logs, vendor: acme-cdn, role: telemetry, kind: http, url: "https://api.acme.example/v1/logs/latest", interval: 10s, timeout: 5s }
  - name: payco-checkout
    vendor: payco
    kind: http
    url: https://api.payco.example/health
    interval: 20s
    consensus: { quorum: 0.3, window: 1m }
`,
);

const acmeLinks = {
  runbook_url: 'https://wiki.example.com/runbooks/acme-cdn',
  dashboard_url: 'https://grafana.example.com/d/vendorwatch?var-vendor=acme-cdn',
};
const payLinks = { dashboard_url: 'https://grafana.example.com/d/vendorwatch?var-vendor=payco' };
const regions = ['ap', 'eu', 'us'];
const threeProbes = ['p1', 'p2', 'p3'];

interface Series {
  series: string;
  values: string;
}

/** What one probe exposes for one check: the success and degraded gauges (promtool series notation; never degraded by default). */
function probe(check: string, region: string, id: string, success: string, degraded = '0x60'): Series[] {
  const labels = `vendor="${vendorOf(check)}",check="${check}",kind="http",region="${region}",probe="${id}",instance="${region}-${id}:9797",job="vendorwatch"`;
  return [
    { series: `vendorwatch_check_success{${labels}}`, values: success },
    { series: `vendorwatch_check_degraded{${labels}}`, values: degraded },
  ];
}

/** Every probe in every region reporting the same values for a check. */
function everywhere(check: string, success: string, ids = threeProbes, where = regions): Series[] {
  return where.flatMap((region) => ids.flatMap((id) => probe(check, region, id, success)));
}

function runs(check: string, result: 'success' | 'failure', reason: string, values: string, region = 'eu'): Series {
  return {
    series: `vendorwatch_check_runs_total{vendor="${vendorOf(check)}",check="${check}",kind="http",region="${region}",result="${result}",reason="${reason}",instance="${region}:9797",job="vendorwatch"}`,
    values,
  };
}

function vendorOf(check: string): string {
  return check.split('-')[0] === 'payco' ? 'payco' : 'acme-cdn';
}

interface AlertCheck {
  eval_time: string;
  alertname: string;
  exp_alerts: { exp_labels: Record<string, string>; exp_annotations?: Record<string, string> }[];
}

/** An alert that must be firing at a time, with exactly these labels and annotations. */
function fires(evalTime: string, alertname: string, labels: Record<string, string>, annotations: Record<string, string>): AlertCheck {
  return { eval_time: evalTime, alertname, exp_alerts: [{ exp_labels: labels, exp_annotations: annotations }] };
}

/** Alerts that must not fire at a time. */
function silent(evalTime: string, ...names: string[]): AlertCheck[] {
  return names.map((alertname) => ({ eval_time: evalTime, alertname, exp_alerts: [] }));
}

const incidentAlerts = ['VendorOutage', 'VendorImpaired', 'VendorFlapping'];

/** Exactly these vendor alerts fire at a time (labels only: their identity). */
function alertsFiring(evalTime: string, alerts: { alertname: string; vendor: string; severity: string }[]) {
  return {
    expr: `ALERTS{alertstate="firing",alertname=~"${incidentAlerts.join('|')}"}`,
    eval_time: evalTime,
    exp_samples: alerts.map((a) => ({
      labels: `ALERTS{alertname="${a.alertname}",alertstate="firing",severity="${a.severity}",vendor="${a.vendor}"}`,
      value: 1,
    })),
  };
}

/** The same check at every evaluation from `from` to `to` seconds. */
function throughout(from: number, to: number, check: (evalTime: string) => object): object[] {
  return Array.from({ length: (to - from) / 10 + 1 }, (_, i) => check(`${from + i * 10}s`));
}

const outage = { alertname: 'VendorOutage', vendor: 'acme-cdn', severity: 'page' };
const impaired = { alertname: 'VendorImpaired', vendor: 'acme-cdn', severity: 'ticket' };

/** The states of a vendor that hold (value 1) at a time. */
function statesHold(evalTime: string, vendor: string, states: string[]) {
  return {
    expr: `vendorwatch:vendor_state{vendor="${vendor}"} == 1`,
    eval_time: evalTime,
    exp_samples: states.map((state) => ({ labels: `vendorwatch:vendor_state{state="${state}",vendor="${vendor}"}`, value: 1 })),
  };
}

let rulesFile: string;

/** Runs one `promtool test rules` scenario against the generated rules; promtool's own output explains a failure. */
function scenario(
  test: { input_series: Series[]; alert_rule_test?: AlertCheck[]; promql_expr_test?: unknown[]; interval?: string },
  name: string,
  rules = rulesFile,
): void {
  const file = join(dir, `${name.replace(/\W+/g, '-')}.test.yaml`);
  // Prometheus runs groups on their own timers; here they run in file order, consensus first, so alerts follow the state at once.
  const group_eval_order = (parse(readFileSync(rules, 'utf8')) as { groups: { name: string }[] }).groups.map((g) => g.name);
  writeFileSync(
    file,
    stringify({ rule_files: [rules], evaluation_interval: '10s', group_eval_order, tests: [{ name, interval: '10s', ...test }] }, { lineWidth: 0 }),
  );
  const r = promtool(['test', 'rules', file]);
  expect(r.output).toContain('SUCCESS');
  expect(r.status).toBe(0);
}

beforeAll(async () => {
  rulesFile = await writeRules(config, dir);
});

describe('vendorwatch rules', () => {
  it('passes promtool check rules', () => {
    const r = promtool(['check', 'rules', rulesFile]);
    expect(r.output).toMatch(/SUCCESS: \d+ rules found/);
    expect(r.status).toBe(0);
  });

  it('passes promtool check rules for the shipped config, where one probe decides', async () => {
    const { code, stdout } = await runCli(['rules']);
    expect(code).toBe(0);
    const file = join(dir, 'shipped-rules.yaml');
    writeFileSync(file, stdout);
    expect(promtool(['check', 'rules', file])).toMatchObject({ status: 0 });
    const labels = 'vendor="jsdelivr",check="jsdelivr-npm-file",kind="http",region="local",probe="laptop"';
    scenario(
      {
        input_series: [
          { series: `vendorwatch_check_success{${labels}}`, values: '1x5 0x30' },
          { series: `vendorwatch_check_degraded{${labels}}`, values: '0x35' },
        ],
        alert_rule_test: [
          fires(
            '4m',
            'VendorOutage',
            { severity: 'page', vendor: 'jsdelivr' },
            {
              summary: 'jsdelivr is hard down: delivery fails in 1 of 1 regions',
              description: "Probes agree that jsdelivr's delivery checks are failing: jsdelivr-npm-file in local (1 of 1 probes).",
              state: 'hard_down',
              regions: 'local',
              vendor_status_url: 'https://status.jsdelivr.com/api/v2/status.json',
            },
          ),
        ],
      },
      'shipped config',
      file,
    );
  });

  it('exits 2 with the reason on a bad config', async () => {
    const { code, stderr, stdout } = await runCli(['rules', '--config', join(dir, 'missing.yaml')]);
    expect(code).toBe(2);
    expect(stderr).toContain('cannot read config');
    expect(stdout).toBe('');
  });
});

describe('promtool test rules: the same verdicts as the collector', () => {
  it('delivery failing in every region → hard_down, one page with readable text', () => {
    scenario(
      {
        input_series: [
          ...everywhere('acme-js', '1x5 0x30'),
          ...everywhere('acme-purge-api', '1x5 0x30'), // the control API fails too, but hard_down is what pages
          runs('acme-js', 'failure', 'http_status', '0x5 1+3x30'),
        ],
        alert_rule_test: [
          fires(
            '2m',
            'VendorOutage',
            { severity: 'page', vendor: 'acme-cdn' },
            {
              ...hardDownText(),
              description:
                "Probes agree that acme-cdn's delivery checks are failing: acme-js in ap (3 of 3 probes), acme-js in eu (3 of 3 probes), " +
                'acme-js in us (3 of 3 probes). Failure reasons, most frequent first: http_status.',
            },
          ),
        ],
        promql_expr_test: [
          alertsFiring('2m', [outage]),
          statesHold('2m', 'acme-cdn', ['api_down', 'hard_down']),
          {
            expr: 'vendorwatch:region_failing:bool{check="acme-js"}',
            eval_time: '2m',
            exp_samples: regions.map((region) => ({
              labels: `vendorwatch:region_failing:bool{check="acme-js",region="${region}",vendor="acme-cdn"}`,
              value: 1,
            })),
          },
        ],
      },
      'hard down',
    );
  });

  it('delivery failing in one region of three → regional_outage naming it', () => {
    scenario(
      {
        input_series: [
          ...probe('acme-js', 'eu', 'p1', '1x5 0x30'),
          ...probe('acme-js', 'eu', 'p2', '1x5 0x30'),
          ...probe('acme-js', 'eu', 'p3', '1x35'),
          ...everywhere('acme-js', '1x35', threeProbes, ['ap', 'us']),
        ],
        alert_rule_test: [fires('2m', 'VendorOutage', { severity: 'page', vendor: 'acme-cdn' }, regionalText('eu', 'acme-js in eu (2 of 3 probes)', 1))],
        promql_expr_test: [alertsFiring('2m', [outage]), statesHold('2m', 'acme-cdn', ['regional_outage'])],
      },
      'regional outage',
    );
  });

  it('one probe of three failing in a region → no alert: the region is not failing', () => {
    scenario(
      {
        input_series: [
          ...probe('acme-js', 'eu', 'p1', '1x5 0x30'),
          ...probe('acme-js', 'eu', 'p2', '1x35'),
          ...probe('acme-js', 'eu', 'p3', '1x35'),
          ...everywhere('acme-js', '1x35', threeProbes, ['ap', 'us']),
        ],
        alert_rule_test: silent('3m', ...incidentAlerts),
        promql_expr_test: [
          statesHold('3m', 'acme-cdn', ['operational']),
          {
            expr: 'vendorwatch:region_failing_voters:count{region="eu"}',
            eval_time: '3m',
            exp_samples: [{ labels: 'vendorwatch:region_failing_voters:count{check="acme-js",region="eu",vendor="acme-cdn"}', value: 1 }],
          },
          {
            expr: 'vendorwatch:region_failing:bool{region="eu"}',
            eval_time: '3m',
            exp_samples: [{ labels: 'vendorwatch:region_failing:bool{check="acme-js",region="eu",vendor="acme-cdn"}', value: 0 }],
          },
        ],
      },
      'one bad probe',
    );
  });

  it('fewer probes than min_probes → unknown, no alert', () => {
    scenario(
      {
        input_series: everywhere('acme-js', '0x30', ['p1']),
        alert_rule_test: silent('2m', ...incidentAlerts),
        promql_expr_test: [
          statesHold('2m', 'acme-cdn', ['unknown']),
          { expr: 'vendorwatch:region_failing:bool', eval_time: '2m', exp_samples: [] },
          {
            expr: 'vendorwatch:region_voters:count{region="eu"}',
            eval_time: '2m',
            exp_samples: [{ labels: 'vendorwatch:region_voters:count{check="acme-js",region="eu",vendor="acme-cdn"}', value: 1 }],
          },
        ],
      },
      'too few probes',
    );
  });

  it('probes that go silent stop voting after the window', () => {
    // Two of eu's three probes fail, then stop reporting at 100s; from 130s only p3 votes.
    scenario(
      {
        input_series: [...probe('acme-js', 'eu', 'p1', '0x10'), ...probe('acme-js', 'eu', 'p2', '0x10'), ...probe('acme-js', 'eu', 'p3', '1x30')],
        promql_expr_test: [
          {
            expr: 'vendorwatch:region_failing:bool',
            eval_time: '90s',
            exp_samples: [{ labels: 'vendorwatch:region_failing:bool{check="acme-js",region="eu",vendor="acme-cdn"}', value: 1 }],
          },
          {
            expr: 'vendorwatch:region_voters:count',
            eval_time: '140s',
            exp_samples: [{ labels: 'vendorwatch:region_voters:count{check="acme-js",region="eu",vendor="acme-cdn"}', value: 1 }],
          },
          statesHold('140s', 'acme-cdn', ['unknown']),
        ],
      },
      'silent probes',
    );
  });

  it('recovery → the alert resolves as soon as a quorum of probes passes again', () => {
    // Failing from 60s to 170s, passing from 180s.
    scenario(
      {
        input_series: everywhere('acme-js', '1x5 0x11 1x30'),
        alert_rule_test: [fires('170s', 'VendorOutage', { severity: 'page', vendor: 'acme-cdn' }, hardDownText()), ...silent('180s', ...incidentAlerts)],
        promql_expr_test: [statesHold('170s', 'acme-cdn', ['hard_down']), statesHold('180s', 'acme-cdn', ['operational'])],
      },
      'recovery',
    );
  });

  it.each([
    {
      check: 'acme-purge-api',
      state: 'api_down',
      summary: "acme-cdn's control API is down; delivery is fine",
      what: 'control',
      consequence: 'Configuration changes and purges through acme-cdn may not work.',
    },
    {
      check: 'acme-logs',
      state: 'limited_visibility',
      summary: "acme-cdn's telemetry is failing or stale; delivery is fine",
      what: 'telemetry',
      consequence: 'Its reports and logs cannot be trusted until they recover.',
    },
  ])('$what checks failing, delivery fine → $state, a VendorImpaired ticket', ({ check, state, summary, what, consequence }) => {
    const votes = regions.map((region) => `${check} in ${region} (3 of 3 probes)`).join(', ');
    scenario(
      {
        input_series: [...everywhere('acme-js', '1x35'), ...everywhere(check, '1x5 0x30')],
        alert_rule_test: [
          fires(
            '2m',
            'VendorImpaired',
            { severity: 'ticket', vendor: 'acme-cdn' },
            {
              summary,
              description: `Probes agree that acme-cdn's ${what} checks are failing: ${votes}. ${consequence}`,
              state,
              regions: 'ap,eu,us',
              ...acmeLinks,
            },
          ),
        ],
        promql_expr_test: [alertsFiring('2m', [impaired]), statesHold('2m', 'acme-cdn', [state])],
      },
      state,
    );
  });

  it('a performance check failing, or delivery runs degraded, in one region → degraded', () => {
    scenario(
      {
        input_series: [
          ...everywhere('acme-js', '1x35'),
          ...everywhere('acme-big', '1x35', threeProbes, ['ap', 'us']),
          ...probe('acme-big', 'eu', 'p1', '1x5 0x30'),
          ...probe('acme-big', 'eu', 'p2', '1x35', '0x5 1x30'), // passed, but over its threshold
          ...probe('acme-big', 'eu', 'p3', '1x35'),
        ],
        alert_rule_test: [fires('2m', 'VendorImpaired', { severity: 'ticket', vendor: 'acme-cdn' }, degradedText('acme-big in eu (2 of 3 probes)'))],
        promql_expr_test: [alertsFiring('2m', [impaired]), statesHold('2m', 'acme-cdn', ['degraded'])],
      },
      'degraded',
    );
  });

  it('per-vendor and per-check knobs: quorum 0.3 fails a region on 3 of 9 probes; min_probes 3 needs 3 failing votes', () => {
    const nine = Array.from({ length: 9 }, (_, i) => `p${i + 1}`);
    scenario(
      {
        input_series: [
          // eu: 3 of 9 fail: not a majority, but a 0.3 quorum of at least min_probes
          ...everywhere('payco-checkout', '1x5 0x30', nine.slice(0, 3), ['eu']),
          ...everywhere('payco-checkout', '1x35', nine.slice(3), ['eu']),
          // us: 1 of 3 fails: a third of the votes, but fewer than min_probes failing votes
          ...probe('payco-checkout', 'us', 'p1', '1x5 0x30'),
          ...everywhere('payco-checkout', '1x35', ['p2', 'p3'], ['us']),
          // ap has only two probes: below payco's min_probes, so ap has no verdict however they vote
          ...everywhere('payco-checkout', '0x35', ['p1', 'p2'], ['ap']),
        ],
        alert_rule_test: [
          fires(
            '2m',
            'VendorOutage',
            { severity: 'page', vendor: 'payco' },
            {
              summary: 'payco is down in eu',
              description:
                "Probes agree that payco's delivery checks are failing: payco-checkout in eu (3 of 9 probes). 1 of 2 regions with a verdict are affected.",
              state: 'regional_outage',
              regions: 'eu',
              ...payLinks,
            },
          ),
        ],
        promql_expr_test: [
          statesHold('2m', 'payco', ['regional_outage']),
          {
            expr: 'vendorwatch:region_failing:bool{region="us"}',
            eval_time: '2m',
            exp_samples: [{ labels: 'vendorwatch:region_failing:bool{check="payco-checkout",region="us",vendor="payco"}', value: 0 }],
          },
        ],
      },
      'payco knobs',
    );
  });

  it('every delivery run failing for an hour → availability burn: page and ticket', () => {
    // A probe that starts during the outage: only failures, from 30m on.
    scenario(
      {
        interval: '1m',
        input_series: [runs('acme-js', 'failure', 'http_status', '_x30 0+6x60')],
        alert_rule_test: [
          { eval_time: '30m', alertname: 'VendorAvailabilityBudgetBurn', exp_alerts: [] },
          {
            eval_time: '90m',
            alertname: 'VendorAvailabilityBudgetBurn',
            exp_alerts: (['page', 'ticket'] as const).map((severity) => ({
              exp_labels: { severity, vendor: 'acme-cdn' },
              exp_annotations: {
                summary: `acme-cdn is using up the error budget of its 99.9% availability SLA ${severity === 'page' ? 'fast' : 'steadily'}`,
                description:
                  "100% of acme-cdn's delivery check runs fail, against the 0.1% its 99.9% availability SLA allows. " +
                  `At this rate a 30-day error budget lasts about ${severity === 'page' ? '2 to 5' : '10 to 30'} days.`,
                ...acmeLinks,
              },
            })),
          },
        ],
      },
      'fast availability burn',
    );
  });

  it('0.5% of runs failing for hours → a ticket, not a page', () => {
    scenario(
      {
        interval: '1m',
        input_series: [runs('acme-js', 'success', 'ok', '0+199x240'), runs('acme-js', 'failure', 'timeout', '0+1x240')],
        alert_rule_test: [
          fires(
            '3h',
            'VendorAvailabilityBudgetBurn',
            { severity: 'ticket', vendor: 'acme-cdn' },
            {
              summary: 'acme-cdn is using up the error budget of its 99.9% availability SLA steadily',
              description:
                "0.5% of acme-cdn's delivery check runs fail, against the 0.1% its 99.9% availability SLA allows. " +
                'At this rate a 30-day error budget lasts about 10 to 30 days.',
              ...acmeLinks,
            },
          ),
        ],
      },
      'slow availability burn',
    );
    // promtool evaluates four hours of series against the 30-day burn windows: seconds alone, minutes on a loaded machine.
  }, 180_000);

  it('runs slower than the p95 latency SLA → latency burn', () => {
    // Every run takes between 0.5 s and 1 s against a 300 ms SLA: none lands in the 0.25 or 0.5 buckets.
    const bucket = (le: string, values: string): Series => ({
      series: `vendorwatch_check_duration_seconds_bucket{vendor="acme-cdn",check="acme-js",kind="http",region="eu",phase="total",le="${le}",instance="eu:9797",job="vendorwatch"}`,
      values,
    });
    scenario(
      {
        interval: '1m',
        input_series: [
          bucket('0.25', '0x90'),
          bucket('0.5', '0x90'),
          bucket('1', '0+6x90'),
          {
            series:
              'vendorwatch_check_duration_seconds_count{vendor="acme-cdn",check="acme-js",kind="http",region="eu",phase="total",instance="eu:9797",job="vendorwatch"}',
            values: '0+6x90',
          },
        ],
        alert_rule_test: [
          {
            eval_time: '80m',
            alertname: 'VendorLatencyBudgetBurn',
            exp_alerts: (['page', 'ticket'] as const).map((severity) => ({
              exp_labels: { severity, vendor: 'acme-cdn' },
              exp_annotations: {
                summary: `acme-cdn is using up the error budget of its p95 latency SLA of 300 ms ${severity === 'page' ? 'fast' : 'steadily'}`,
                description:
                  "100% of acme-cdn's delivery check runs take longer than 300 ms, against the 5% its p95 latency SLA of 300 ms allows. " +
                  `At this rate a 30-day error budget lasts about ${severity === 'page' ? '2 to 5' : '10 to 30'} days.`,
                ...acmeLinks,
              },
            })),
          },
          ...silent('80m', 'VendorAvailabilityBudgetBurn'),
        ],
      },
      'latency burn',
    );
  });
});

describe('promtool test rules: the alert contract (one identity per severity, held until operational)', () => {
  it('an outage spreading from one region to all and easing back → one VendorOutage throughout, none after', () => {
    // eu fails 60–160 s, us 90–190 s, ap 100–210 s: regional, hard down, regional again (ap), operational at 220 s.
    scenario(
      {
        input_series: [
          ...everywhere('acme-js', '1x5 0x10 1x30', threeProbes, ['eu']),
          ...everywhere('acme-js', '1x8 0x10 1x30', threeProbes, ['us']),
          ...everywhere('acme-js', '1x9 0x11 1x30', threeProbes, ['ap']),
        ],
        alert_rule_test: [
          fires('70s', 'VendorOutage', { severity: 'page', vendor: 'acme-cdn' }, regionalText('eu', 'acme-js in eu (3 of 3 probes)', 1)),
          fires('120s', 'VendorOutage', { severity: 'page', vendor: 'acme-cdn' }, hardDownText()),
          fires('200s', 'VendorOutage', { severity: 'page', vendor: 'acme-cdn' }, regionalText('ap', 'acme-js in ap (3 of 3 probes)', 1)),
        ],
        promql_expr_test: [
          ...throughout(0, 50, (t) => alertsFiring(t, [])),
          ...throughout(60, 210, (t) => alertsFiring(t, [outage])),
          ...throughout(220, 300, (t) => alertsFiring(t, [])),
          statesHold('200s', 'acme-cdn', ['regional_outage']),
        ],
      },
      'spreading outage',
    );
  });

  it('degraded, then hard down → VendorImpaired, then VendorOutage too; both resolve when operational', () => {
    scenario(
      {
        input_series: [
          ...everywhere('acme-big', '1x5 0x14 1x30', threeProbes, ['eu']),
          ...everywhere('acme-big', '1x50', threeProbes, ['ap', 'us']),
          ...everywhere('acme-js', '1x11 0x8 1x30'),
        ],
        alert_rule_test: [
          fires('90s', 'VendorImpaired', { severity: 'ticket', vendor: 'acme-cdn' }, degradedText('acme-big in eu (3 of 3 probes)')),
          // The ticket stays, its text following the incident.
          fires('150s', 'VendorImpaired', { severity: 'ticket', vendor: 'acme-cdn' }, hardDownText()),
        ],
        promql_expr_test: [
          ...throughout(60, 110, (t) => alertsFiring(t, [impaired])),
          ...throughout(120, 200, (t) => alertsFiring(t, [impaired, outage])),
          ...throughout(210, 260, (t) => alertsFiring(t, [])),
        ],
      },
      'degraded then hard down',
    );
  });

  it('hard down easing to degraded → VendorOutage holds, no VendorImpaired', () => {
    scenario(
      {
        input_series: [
          ...everywhere('acme-js', '1x5 0x8 1x30'),
          ...everywhere('acme-big', '1x5 0x18 1x30', threeProbes, ['eu']),
          ...everywhere('acme-big', '1x50', threeProbes, ['ap', 'us']),
        ],
        alert_rule_test: [fires('200s', 'VendorOutage', { severity: 'page', vendor: 'acme-cdn' }, degradedText('acme-big in eu (3 of 3 probes)'))],
        promql_expr_test: [
          statesHold('200s', 'acme-cdn', ['degraded']),
          ...throughout(60, 240, (t) => alertsFiring(t, [outage])),
          ...throughout(250, 300, (t) => alertsFiring(t, [])),
        ],
      },
      'hard down easing',
    );
  });

  it('three incidents within the flapping window → one VendorFlapping page instead of a third VendorOutage, held for a window', () => {
    // Hard down 60–90 s, 160–190 s and 260–290 s; the third opening makes 3 in 30 m.
    const flapping = { alertname: 'VendorFlapping', vendor: 'acme-cdn', severity: 'page' };
    scenario(
      {
        input_series: everywhere('acme-js', '1x5 0x3 1x5 0x3 1x5 0x3 1x200'),
        alert_rule_test: [
          fires(
            '280s',
            'VendorFlapping',
            { severity: 'page', vendor: 'acme-cdn' },
            {
              ...hardDownText(),
              summary: 'acme-cdn is flapping: 3 incidents opened in the last 30m',
              description:
                'acme-cdn keeps failing and recovering, so this one alert stands for its incidents instead of an alert each. ' +
                'It resolves once 30m pass with no new incident and acme-cdn is operational. Now: acme-cdn is hard down: delivery fails in 3 of 3 regions.',
            },
          ),
        ],
        promql_expr_test: [
          ...throughout(60, 90, (t) => alertsFiring(t, [outage])),
          ...throughout(100, 150, (t) => alertsFiring(t, [])),
          ...throughout(160, 190, (t) => alertsFiring(t, [outage])),
          ...throughout(200, 250, (t) => alertsFiring(t, [])),
          ...throughout(260, 400, (t) => alertsFiring(t, [flapping])),
          alertsFiring('2000s', [flapping]),
          alertsFiring('2100s', []),
        ],
      },
      'flapping',
    );
  });

  it('a probe whose series stop → ProbeDown after probe_down_after (3 × 10 s, at least 30 s)', () => {
    const down = (value: string) => ({
      eval_time: value === '1m 20s' ? '3m' : '10m',
      alertname: 'ProbeDown',
      exp_alerts: [
        {
          exp_labels: { severity: 'ticket', probe: 'p1', region: 'eu' },
          exp_annotations: {
            summary: `Probe p1 in eu has sent nothing for ${value}`,
            description:
              'No metric of probe p1 has a sample newer than its probe_down_after; its votes stop counting once they are older than the consensus window. ' +
              'The alert resolves when it reports again, or after 1d of silence.',
          },
        },
      ],
    });
    scenario(
      {
        // p1's last samples are at 100 s.
        input_series: [...probe('acme-js', 'eu', 'p1', '1x10', '0x10'), ...everywhere('acme-js', '1x70', ['p2', 'p3'], ['eu'])],
        alert_rule_test: [{ eval_time: '120s', alertname: 'ProbeDown', exp_alerts: [] }, down('1m 20s'), down('8m 20s')],
      },
      'probe down',
    );
  });

  it("a probe whose clock is 5 minutes behind Prometheus's → ProbeClockSkew after a minute; one a second off → nothing", () => {
    // The gauge is the probe's clock at each scrape: the scrape time (0, 10, 20 … s) minus the skew.
    const clock = (probe: string, skew: number) => ({ series: `vendorwatch_probe_time_seconds{probe="${probe}",region="eu"}`, values: `${-skew}+10x20` });
    scenario(
      {
        input_series: [clock('p1', 300), clock('p2', 1)],
        alert_rule_test: [
          { eval_time: '30s', alertname: 'ProbeClockSkew', exp_alerts: [] },
          {
            eval_time: '90s',
            alertname: 'ProbeClockSkew',
            exp_alerts: [
              {
                exp_labels: { severity: 'ticket', probe: 'p1', region: 'eu' },
                exp_annotations: {
                  summary: "Probe p1 in eu has a clock 5m 0s off Prometheus's",
                  description:
                    'More than the 30s allowed (collector.max_clock_skew) for a minute. Its results are placed in time by its own clock, ' +
                    'so its votes fall out of the consensus window early or are refused; fix its time sync (NTP).',
                },
              },
            ],
          },
        ],
      },
      'probe clock skew',
    );
  });

  it('a probe alone failing two vendors → ProbeUnhealthy, held for the flapping window after it recovers', () => {
    const unhealthy = (evalTime: string) => ({
      eval_time: evalTime,
      alertname: 'ProbeUnhealthy',
      exp_alerts: [
        {
          exp_labels: { severity: 'ticket', probe: 'p1', region: 'eu' },
          exp_annotations: {
            summary: 'Probe p1 in eu fails checks that every other probe passes',
            // During the hold Prometheus keeps the text of the last evaluation that found the probe unhealthy.
            description:
              'It alone fails checks of at least 2 vendors: acme-js, payco-checkout. ' +
              'Its votes are left out of consensus until it fails alone nowhere; this alert then holds for 30m.',
          },
        },
      ],
    });
    scenario(
      {
        // p1 fails both vendors' checks from 60 to 110 s, alone.
        input_series: ['acme-js', 'payco-checkout'].flatMap((check) => [
          ...probe(check, 'eu', 'p1', '1x5 0x5 1x200', '0x211'),
          ...everywhere(check, '1x211', ['p2', 'p3'], ['eu']),
        ]),
        alert_rule_test: [unhealthy('90s'), unhealthy('25m'), { eval_time: '35m', alertname: 'ProbeUnhealthy', exp_alerts: [] }],
        promql_expr_test: [...throughout(60, 200, (t) => alertsFiring(t, []))],
      },
      'probe unhealthy',
    );
  });

  it.each([
    { runs: 'one failed run', values: '1x5 0x2 1x30', failing: [] as number[], alert: false },
    { runs: 'two failed runs in a row', values: '1x5 0x5 1x30', failing: [110], alert: true },
  ])('thin evidence (min_probes 1, one probe): $runs → alert: $alert', async ({ values, failing, alert }) => {
    const { stdout } = await runCli(['rules']);
    const file = join(dir, 'shipped-rules.yaml');
    writeFileSync(file, stdout);
    const labels = 'vendor="jsdelivr",check="jsdelivr-npm-file",kind="http",region="local",probe="laptop"';
    const verdict = (seconds: number) => ({
      expr: 'vendorwatch:region_failing:bool',
      eval_time: `${seconds}s`,
      exp_samples: [
        { labels: `vendorwatch:region_failing:bool{check="jsdelivr-npm-file",region="local",vendor="jsdelivr"}`, value: failing.includes(seconds) ? 1 : 0 },
      ],
    });
    scenario(
      {
        input_series: [
          { series: `vendorwatch_check_success{${labels}}`, values },
          { series: `vendorwatch_check_degraded{${labels}}`, values: '0x40' },
        ],
        // 30 s checks: one failed run is three failing scrapes; confirm (15 s) needs the next run failing too.
        promql_expr_test: [
          ...[70, 80, 100, 110].map(verdict),
          alertsFiring('110s', alert ? [{ alertname: 'VendorOutage', vendor: 'jsdelivr', severity: 'page' }] : []),
          ...throughout(60, 100, (t) => alertsFiring(t, [])),
        ],
      },
      `thin ${values}`,
      file,
    );
  });
});

function hardDownText() {
  return {
    summary: 'acme-cdn is hard down: delivery fails in 3 of 3 regions',
    description:
      "Probes agree that acme-cdn's delivery checks are failing: acme-js in ap (3 of 3 probes), acme-js in eu (3 of 3 probes), acme-js in us (3 of 3 probes).",
    state: 'hard_down',
    regions: 'ap,eu,us',
    ...acmeLinks,
  };
}

function regionalText(region: string, votes: string, regionsDown: number) {
  return {
    summary: `acme-cdn is down in ${region}`,
    description: `Probes agree that acme-cdn's delivery checks are failing: ${votes}. ${regionsDown} of 3 regions with a verdict are affected.`,
    state: 'regional_outage',
    regions: region,
    ...acmeLinks,
  };
}

function degradedText(votes: string) {
  return {
    summary: 'acme-cdn is degraded in eu',
    description: `Probes agree that acme-cdn is slow or degraded: ${votes}. Content is still delivered.`,
    state: 'degraded',
    regions: 'eu',
    ...acmeLinks,
  };
}
