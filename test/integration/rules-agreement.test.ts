/**
 * `vendorwatch rules` and the collector agree. Each scenario is a timeline of probe votes; it is fed
 * both to the collector itself (Collector.record + evaluate on a fake clock, the code that runs in
 * production) and, as the probes' metrics, to the generated rules in `promtool test rules`. At every
 * evaluation the set of vendor conditions that hold, and the incident alerts that fire (alertname,
 * vendor, severity: the alert contract of docs/alerts.md), must be the same: the collector's answer becomes
 * the promtool expectation, and a few hand-written expectations keep the scenarios honest.
 *
 * The scenarios aim at where the two used to differ: min_probes failing votes under a quorum,
 * unhealthy probes' votes, hard_down judged over all delivery checks' regions, api_down and
 * limited_visibility in one region, unknown without a delivery verdict, ties and hysteresis; and at
 * the alert lifecycle: an outage spreading and easing, degraded then hard down and the reverse,
 * flapping, and a thin (min_probes 1) verdict from a single failed run.
 */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { Collector } from '../../agent/collector/collector.ts';
import { Journal } from '../../agent/collector/journal.ts';
import { prometheusRulesYaml } from '../../agent/prometheusRules.ts';
import { parseConfig } from '../../config/load.ts';
import type { CheckResult } from '../../config/result.ts';
import { tempDir } from '../support/processes.ts';
import { promtool } from '../support/prometheus.ts';

const STEP_MS = 10_000;
const WINDOW_MS = 35_000; // not a multiple of the step, so no vote sits exactly on the window's edge
const logger = pino({ level: 'silent' });
const dir = tempDir('vendorwatch-agreement-');

const config = parseConfig(
  `consensus: { min_probes: 2, window: 35s }
collector: { unhealthy_vendors: 2 }
vendors:
  - { name: spread }
  - { name: quorate, consensus: { quorum: 0.3 } }
  - { name: ctl }
  - { name: tie, consensus: { min_probes: 1 } }
  - { name: alpha, consensus: { min_probes: 1, quorum: 0.5 } }
  - { name: beta, consensus: { min_probes: 1, quorum: 0.5 } }
  - { name: slowco }
  - { name: wave }
  - { name: ease }
  - { name: flap }
  - { name: lone, consensus: { min_probes: 1 } }
checks:
  - { name: spread-a, vendor: spread, kind: http, url: "http://a.test/", interval: 10s, timeout: 5s }
  - { name: spread-b, vendor: spread, kind: http, url: "http://b.test/", interval: 10s, timeout: 5s }
  - { name: quorate-web, vendor: quorate, kind: http, url: "http://q.test/", interval: 10s, timeout: 5s }
  - { name: ctl-web, vendor: ctl, kind: http, url: "http://c.test/", interval: 10s, timeout: 5s }
  - { name: ctl-api, vendor: ctl, role: control, kind: http, url: "http://c.test/api", interval: 10s, timeout: 5s }
  - { name: ctl-logs, vendor: ctl, role: telemetry, kind: http, url: "http://c.test/logs", interval: 10s, timeout: 5s }
  - { name: tie-web, vendor: tie, kind: http, url: "http://t.test/", interval: 10s, timeout: 5s }
  - { name: alpha-web, vendor: alpha, kind: http, url: "http://al.test/", interval: 10s, timeout: 5s }
  - { name: beta-web, vendor: beta, kind: http, url: "http://be.test/", interval: 10s, timeout: 5s }
  - { name: slow-web, vendor: slowco, kind: http, url: "http://s.test/", interval: 10s, timeout: 5s }
  - { name: slow-big, vendor: slowco, role: performance, kind: http, url: "http://s.test/big", interval: 10s, timeout: 5s }
  - { name: wave-web, vendor: wave, kind: http, url: "http://w.test/", interval: 10s, timeout: 5s }
  - { name: ease-web, vendor: ease, kind: http, url: "http://e.test/", interval: 10s, timeout: 5s }
  - { name: ease-big, vendor: ease, role: performance, kind: http, url: "http://e.test/big", interval: 10s, timeout: 5s }
  - { name: flap-web, vendor: flap, kind: http, url: "http://f.test/", interval: 10s, timeout: 5s }
  - { name: lone-web, vendor: lone, kind: http, url: "http://l.test/", interval: 10s, timeout: 5s }
`,
  'agreement.yaml',
  {},
);
const rulesFile = join(dir, 'rules.yaml');
const rules = prometheusRulesYaml(config, 'agreement.yaml');
writeFileSync(rulesFile, rules);
const groupOrder = (parse(rules) as { groups: { name: string }[] }).groups.map((g) => g.name);

/** One probe's result at a step: passed, failed, passed but degraded, or nothing reported. */
type Vote = 'ok' | 'fail' | 'slow' | null;

interface Track {
  check: string;
  region: string;
  probe: string;
  votes: Vote[];
}

interface Scenario {
  name: string;
  steps: number;
  tracks: Track[];
  /** Hand-written checks on the collector's answer: at a step, a vendor's state and (when given) its incident alerts that fire. */
  expect: { step: number; vendor: string; state: string; alerts?: string[] }[];
}

/** The incident alerts of the contract; both paths must raise exactly the same ones. */
const incidentAlertnames = ['VendorOutage', 'VendorImpaired', 'VendorFlapping'];

/** `n` steps of the same vote. */
const run = (vote: Vote, n: number): Vote[] => Array.from({ length: n }, () => vote);

/** Tracks for every probe of the regions given, all with the same votes. */
function probes(check: string, regions: Record<string, number>, votes: Vote[]): Track[] {
  return Object.entries(regions).flatMap(([region, n]) => Array.from({ length: n }, (_, i) => ({ check, region, probe: `${region}-${i + 1}`, votes })));
}

const three = { eu: 3, us: 3, ap: 3 };

const scenarios: Scenario[] = [
  {
    name: 'hard_down is judged over the regions where any delivery check fails',
    steps: 12,
    tracks: [
      ...probes('spread-a', { eu: 3 }, [...run('ok', 3), ...run('fail', 6), ...run('ok', 3)]),
      ...probes('spread-a', { us: 3, ap: 3 }, run('ok', 12)),
      ...probes('spread-b', { us: 3 }, [...run('ok', 3), ...run('fail', 6), ...run('ok', 3)]),
      ...probes('spread-b', { eu: 3, ap: 3 }, run('ok', 12)),
    ],
    expect: [
      { step: 2, vendor: 'spread', state: 'operational' },
      { step: 5, vendor: 'spread', state: 'hard_down' },
      { step: 11, vendor: 'spread', state: 'operational' },
    ],
  },
  {
    name: 'a quorum still needs min_probes failing votes',
    steps: 10,
    tracks: [
      { check: 'quorate-web', region: 'eu', probe: 'eu-1', votes: [...run('ok', 2), ...run('fail', 8)] },
      { check: 'quorate-web', region: 'eu', probe: 'eu-2', votes: [...run('ok', 5), ...run('fail', 5)] },
      { check: 'quorate-web', region: 'eu', probe: 'eu-3', votes: run('ok', 10) },
      ...probes('quorate-web', { us: 3, ap: 3 }, run('ok', 10)),
    ],
    expect: [
      { step: 3, vendor: 'quorate', state: 'operational' }, // 1 of 3 meets 0.3, but 1 < min_probes
      { step: 6, vendor: 'quorate', state: 'regional_outage' },
    ],
  },
  {
    name: 'api_down and limited_visibility hold in one region; no delivery verdict is unknown',
    steps: 14,
    tracks: [
      { check: 'ctl-web', region: 'eu', probe: 'eu-1', votes: run('ok', 14) },
      ...probes('ctl-web', three, [...run(null, 6), ...run('ok', 8)]).filter((t) => t.probe !== 'eu-1'),
      ...probes('ctl-api', { us: 3 }, [...run('ok', 3), ...run('fail', 7), ...run('ok', 4)]),
      ...probes('ctl-api', { eu: 3, ap: 3 }, run('ok', 14)),
      ...probes('ctl-logs', { ap: 3 }, [...run('ok', 8), ...run('fail', 4), ...run('ok', 2)]),
      ...probes('ctl-logs', { eu: 3, us: 3 }, run('ok', 14)),
    ],
    expect: [
      { step: 1, vendor: 'ctl', state: 'unknown' }, // only one probe runs the delivery check
      { step: 4, vendor: 'ctl', state: 'api_down' },
      { step: 9, vendor: 'ctl', state: 'api_down' },
      { step: 11, vendor: 'ctl', state: 'limited_visibility' },
      { step: 13, vendor: 'ctl', state: 'operational' },
    ],
  },
  {
    name: 'a tie holds the previous verdict; silence makes it unknown',
    steps: 18,
    tracks: [
      { check: 'tie-web', region: 'eu', probe: 'eu-1', votes: [...run('ok', 2), ...run('fail', 8), ...run('ok', 3), ...run(null, 5)] },
      { check: 'tie-web', region: 'eu', probe: 'eu-2', votes: [...run('ok', 4), ...run('fail', 3), ...run('ok', 6), ...run(null, 5)] },
    ],
    expect: [
      { step: 3, vendor: 'tie', state: 'operational' }, // 1 of 2 failing: a tie holds passing
      { step: 5, vendor: 'tie', state: 'hard_down' },
      { step: 8, vendor: 'tie', state: 'hard_down' }, // 1 of 2 failing: a tie holds failing
      { step: 11, vendor: 'tie', state: 'operational' },
      { step: 17, vendor: 'tie', state: 'unknown' },
    ],
  },
  {
    name: 'an unhealthy probe is left out until it fails alone nowhere',
    steps: 14,
    tracks: [
      { check: 'alpha-web', region: 'eu', probe: 'eu-1', votes: [...run('ok', 3), ...run('fail', 3), ...run('ok', 8)] },
      { check: 'beta-web', region: 'eu', probe: 'eu-1', votes: [...run('ok', 3), ...run('fail', 7), ...run('ok', 4)] },
      ...probes('alpha-web', { eu: 2, us: 2 }, run('ok', 14)).filter((t) => t.probe !== 'eu-1'),
      ...probes('beta-web', { eu: 2, us: 2 }, run('ok', 14)).filter((t) => t.probe !== 'eu-1'),
    ],
    expect: [
      // eu-1 alone fails both vendors: unhealthy, so its vote (1 of 2, a 0.5 quorum) is ignored
      { step: 4, vendor: 'alpha', state: 'operational' },
      { step: 4, vendor: 'beta', state: 'operational' },
      // it recovered on alpha but still fails beta alone: still unhealthy
      { step: 8, vendor: 'beta', state: 'operational' },
    ],
  },
  {
    name: 'degraded where slow, but not where the region is down',
    steps: 12,
    tracks: [
      ...probes('slow-big', { eu: 3 }, [...run('ok', 2), ...run('fail', 8), ...run('ok', 2)]),
      ...probes('slow-big', { us: 3, ap: 3 }, run('ok', 12)),
      ...probes('slow-web', { us: 2 }, [...run('ok', 2), ...run('slow', 4), ...run('ok', 6)]),
      { check: 'slow-web', region: 'us', probe: 'us-3', votes: run('ok', 12) },
      ...probes('slow-web', { eu: 3 }, [...run('ok', 7), ...run('fail', 3), ...run('ok', 2)]),
      ...probes('slow-web', { ap: 3 }, run('ok', 12)),
    ],
    expect: [
      { step: 4, vendor: 'slowco', state: 'degraded' }, // eu: the performance check fails; us: delivery runs are slow
      { step: 8, vendor: 'slowco', state: 'regional_outage' }, // eu is down, and no longer counts as degraded
      { step: 11, vendor: 'slowco', state: 'operational' },
    ],
  },
  {
    name: 'an outage spreading from one region to all, then easing, is one VendorOutage',
    steps: 18,
    tracks: [
      ...probes('wave-web', { eu: 3 }, [...run('ok', 3), ...run('fail', 8), ...run('ok', 7)]),
      ...probes('wave-web', { us: 3 }, [...run('ok', 5), ...run('fail', 8), ...run('ok', 5)]),
      ...probes('wave-web', { ap: 3 }, [...run('ok', 6), ...run('fail', 9), ...run('ok', 3)]),
    ],
    expect: [
      { step: 4, vendor: 'wave', state: 'regional_outage', alerts: ['VendorOutage'] },
      { step: 7, vendor: 'wave', state: 'hard_down', alerts: ['VendorOutage'] },
      { step: 14, vendor: 'wave', state: 'regional_outage', alerts: ['VendorOutage'] },
      { step: 16, vendor: 'wave', state: 'operational', alerts: [] },
    ],
  },
  {
    name: 'degraded, then hard down, then degraded: VendorImpaired and VendorOutage, both until operational',
    steps: 16,
    tracks: [
      ...probes('ease-big', { eu: 3 }, [...run('ok', 2), ...run('fail', 11), ...run('ok', 3)]),
      ...probes('ease-big', { us: 3, ap: 3 }, run('ok', 16)),
      ...probes('ease-web', three, [...run('ok', 5), ...run('fail', 4), ...run('ok', 7)]),
    ],
    expect: [
      { step: 3, vendor: 'ease', state: 'degraded', alerts: ['VendorImpaired'] },
      { step: 6, vendor: 'ease', state: 'hard_down', alerts: ['VendorImpaired', 'VendorOutage'] },
      { step: 11, vendor: 'ease', state: 'degraded', alerts: ['VendorImpaired', 'VendorOutage'] },
      { step: 14, vendor: 'ease', state: 'operational', alerts: [] },
    ],
  },
  {
    name: 'hard down easing to degraded keeps VendorOutage and raises no VendorImpaired',
    steps: 16,
    tracks: [
      ...probes('ease-big', { eu: 3 }, [...run('ok', 4), ...run('fail', 9), ...run('ok', 3)]),
      ...probes('ease-big', { us: 3, ap: 3 }, run('ok', 16)),
      ...probes('ease-web', three, [...run('ok', 2), ...run('fail', 6), ...run('ok', 8)]),
    ],
    expect: [
      { step: 4, vendor: 'ease', state: 'hard_down', alerts: ['VendorOutage'] },
      { step: 10, vendor: 'ease', state: 'degraded', alerts: ['VendorOutage'] },
      { step: 14, vendor: 'ease', state: 'operational', alerts: [] },
    ],
  },
  {
    name: 'three incidents within the flapping window: one VendorFlapping, no third VendorOutage',
    steps: 20,
    tracks: probes('flap-web', three, [
      ...run('ok', 2),
      ...run('fail', 2),
      ...run('ok', 3),
      ...run('fail', 2),
      ...run('ok', 3),
      ...run('fail', 2),
      ...run('ok', 6),
    ]),
    expect: [
      { step: 2, vendor: 'flap', state: 'hard_down', alerts: ['VendorOutage'] },
      { step: 5, vendor: 'flap', state: 'operational', alerts: [] },
      { step: 7, vendor: 'flap', state: 'hard_down', alerts: ['VendorOutage'] },
      { step: 12, vendor: 'flap', state: 'hard_down', alerts: ['VendorFlapping'] },
      { step: 19, vendor: 'flap', state: 'operational', alerts: ['VendorFlapping'] },
    ],
  },
  {
    name: 'a thin verdict (min_probes 1) from a single failed run raises nothing',
    steps: 8,
    tracks: [{ check: 'lone-web', region: 'eu', probe: 'eu-1', votes: [...run('ok', 3), 'fail', ...run('ok', 4)] }],
    expect: [
      { step: 3, vendor: 'lone', state: 'operational', alerts: [] },
      { step: 4, vendor: 'lone', state: 'operational', alerts: [] },
    ],
  },
];

interface AlertIdentity {
  alertname: string;
  vendor: string;
  severity: string;
}

/** What the collector says at every step: each vendor's conditions that hold, its state, and the incident alerts that fire. */
function collectorTimeline(s: Scenario): { conditions: Record<string, string[]>; state: Record<string, string>; alerts: AlertIdentity[] }[] {
  const base = 1_700_000_000_000;
  let clock = base - WINDOW_MS;
  const journal = new Journal(join(dir, `${randomUUID()}.jsonl`), logger);
  const collector = new Collector({ config, logger, journal, receivers: [], now: () => clock });
  const out = [];
  for (let step = 0; step < s.steps; step++) {
    clock = base + step * STEP_MS;
    for (const t of s.tracks) {
      const vote = t.votes[step];
      if (vote) collector.record(result(t, vote, clock), clock);
    }
    collector.evaluate(clock);
    const statuses = collector.vendorStatuses();
    out.push({
      conditions: Object.fromEntries(statuses.map(({ vendor, status }) => [vendor.name, (status?.conditions ?? []).map((c) => c.state).sort()])),
      state: Object.fromEntries(statuses.map(({ vendor, status }) => [vendor.name, status?.state ?? 'unknown'])),
      alerts: collector
        .activeAlerts()
        .map(({ labels }) => ({ alertname: labels.alertname ?? '', vendor: labels.vendor ?? '', severity: labels.severity ?? '' }))
        .filter((a) => incidentAlertnames.includes(a.alertname)),
    });
  }
  journal.close();
  return out;
}

function result(t: Track, vote: Exclude<Vote, null>, at: number): CheckResult {
  const check = config.checks.find((c) => c.name === t.check)!;
  return {
    id: randomUUID(),
    check: t.check,
    vendor: check.vendor,
    kind: 'http',
    role: check.role,
    probe: t.probe,
    region: t.region,
    startedAt: at,
    ok: vote !== 'fail',
    degraded: vote === 'slow',
    reason: vote === 'fail' ? 'http_status' : 'ok',
    message: vote === 'fail' ? 'HTTP 503' : 'ok',
    phases: { total: 0.05 },
    assertions: [],
    details: {},
  };
}

/** The probes' gauges for the same timeline, in promtool's series notation. */
function inputSeries(s: Scenario): { series: string; values: string }[] {
  return s.tracks.flatMap((t) => {
    const vendor = config.checks.find((c) => c.name === t.check)!.vendor;
    const labels = `vendor="${vendor}",check="${t.check}",kind="http",region="${t.region}",probe="${t.probe}",instance="${t.probe}:9797",job="vendorwatch"`;
    const values = (f: (v: Exclude<Vote, null>) => number) => t.votes.map((v) => (v === null ? '_' : String(f(v)))).join(' ');
    return [
      { series: `vendorwatch_check_success{${labels}}`, values: values((v) => (v === 'fail' ? 0 : 1)) },
      { series: `vendorwatch_check_degraded{${labels}}`, values: values((v) => (v === 'slow' ? 1 : 0)) },
    ];
  });
}

describe('vendorwatch rules agree with the collector', () => {
  it.each(scenarios)('$name', (s) => {
    const timeline = collectorTimeline(s);
    for (const e of s.expect) {
      const at = timeline[e.step]!;
      const alerts =
        e.alerts &&
        at.alerts
          .filter((a) => a.vendor === e.vendor)
          .map((a) => a.alertname)
          .sort();
      expect({ step: e.step, vendor: e.vendor, state: at.state[e.vendor], ...(alerts && { alerts }) }).toEqual(e);
    }

    const promql_expr_test = timeline.flatMap((t, step) => [
      {
        expr: 'vendorwatch:vendor_state == 1',
        eval_time: `${(step * STEP_MS) / 1000}s`,
        exp_samples: Object.entries(t.conditions)
          .sort(([a], [b]) => a.localeCompare(b))
          .flatMap(([vendor, states]) => states.map((state) => ({ labels: `vendorwatch:vendor_state{state="${state}",vendor="${vendor}"}`, value: 1 }))),
      },
      {
        expr: `ALERTS{alertstate="firing",alertname=~"${incidentAlertnames.join('|')}"}`,
        eval_time: `${(step * STEP_MS) / 1000}s`,
        exp_samples: t.alerts.map((a) => ({
          labels: `ALERTS{alertname="${a.alertname}",alertstate="firing",severity="${a.severity}",vendor="${a.vendor}"}`,
          value: 1,
        })),
      },
    ]);
    const file = join(dir, `${s.name.replace(/\W+/g, '-')}.test.yaml`);
    // The collector alerts in the evaluation that changes the state; so do the rules when the consensus group runs first.
    writeFileSync(
      file,
      stringify(
        {
          rule_files: [rulesFile],
          evaluation_interval: '10s',
          group_eval_order: groupOrder,
          tests: [{ name: s.name, interval: '10s', input_series: inputSeries(s), promql_expr_test }],
        },
        { lineWidth: 0 },
      ),
    );
    const r = promtool(['test', 'rules', file]);
    expect(r.output).toContain('SUCCESS');
    expect(r.status).toBe(0);
  });
});
