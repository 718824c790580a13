/**
 * `vendorwatch report` as a process: the hand-made month of test/support/slaJournal.ts (figures
 * worked out in test/unit/report-sla.test.ts) in all three formats, and a real collector process
 * whose pushed results end up in the report's run and latency figures.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { CheckResult } from '../../config/result.ts';
import { pageView, vendorLoads } from '../support/beacons.ts';
import { CONFIG, writeSlaJournal } from '../support/slaJournal.ts';
import { freePort, runCli, startCli, tempDir, waitFor } from '../support/processes.ts';

const dir = tempDir('vendorwatch-report-');
const config = join(dir, 'vendorwatch.yaml');
const journal = join(dir, 'journal.jsonl');
writeFileSync(config, `collector: { journal: ${JSON.stringify(journal)} }\n${CONFIG}`);
writeSlaJournal(journal, join(dir, 'journal.hourly.jsonl'), join(dir, 'journal.rum-hourly.jsonl'));

// Each test starts CLI processes (a collector, the report): on a loaded machine that takes far longer than the default.
vi.setConfig({ testTimeout: 180_000 });

const report = async (...args: string[]) => {
  const r = await runCli(['report', '--config', config, '--month', '2025-11', ...args]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r.stdout;
};

describe('vendorwatch report on a known month', () => {
  it('--format md: the summary, the breach, the budget and the evidence of the breaching incidents', async () => {
    const md = await report();
    expect(md).toMatch(/^# Vendor SLA report: 2025-11-01 00:00:00 UTC to 2025-12-01 00:00:00 UTC\n/);
    expect(md).toContain('| acme-cdn | 99.9%, p95 ≤ 300 ms | 99.788% | 1h 30m | 12h 0m | -47m 31s (-111.9%) | 344 ms | 4.00% | BREACHED (availability) |');
    expect(md).toContain('| payco | 99.5% | 100.000% | 0s | 14d 0h | 1h 55m (100.0%) | – | – | met |');
    expect(md).toContain('| dnsco | – | 99.167% | 6h 0m | 0s | – | – | – | no SLA |');
    expect(md).toContain('- Availability error budget: 42m 29s; left -47m 31s (-111.9%); ran out at 2025-11-10 00:37:26 UTC.');
    expect(md).toContain('- Latency: p95 ≈ 344 ms over 100 successful runs; 4 (4.00%) slower than 300 ms — met, error budget left 20.0%.');
    expect(md).toContain('| inc-1 | 2025-11-03 10:00:00 UTC | 2025-11-03 10:30:00 UTC | hard_down | ap, eu, us | 30m 0s | 70.6% | yes |');
    expect(md).toContain('| inc-2 | 2025-11-10 00:00:00 UTC | 2025-11-10 03:00:00 UTC | regional_outage | eu | 1h 0m | 141.2% | yes |');
    expect(md).toContain('| inc-3 | 2025-11-25 00:00:00 UTC | 2025-11-25 01:00:00 UTC | degraded | us | 0s | 0.0% | no |');
    expect(md.match(/^#### Incident (.+)$/gm)).toEqual(['#### Incident inc-1', '#### Incident inc-2']);
    expect(md).toContain('```\nacme-js in eu: failing, 2 of 2 fail: eu-1 ✗ timeout at ttfb, eu-2 ✗ timeout at ttfb\n```');
    expect(md).not.toContain('inc-0');
    expect(md).toContain('| acme-cdn | 200 | 600 | 99.00% | 100 ms | 350 of 2,000 (2 incidents; 1 without beacon data) |');
    expect(md).toContain('| dnsco | – | no beacon data | – | – | no beacon data |');
  });

  it('--format json: the same figures in base units', async () => {
    const json = JSON.parse(await report('--format', 'json'));
    expect(json.period).toEqual({ from: '2025-11-01T00:00:00.000Z', to: '2025-12-01T00:00:00.000Z', measuredUntil: '2025-12-01T00:00:00.000Z' });
    const [acme, payco, dnsco] = json.vendors;
    expect(acme).toMatchObject({
      vendor: 'acme-cdn',
      verdict: 'BREACHED (availability)',
      availability: {
        percent: 99.7881,
        met: false,
        measuredSeconds: 2_548_800,
        notMeasuredSeconds: 43_200,
        downtimeSeconds: 5400,
        outageSeconds: 12_600,
        budgetSeconds: 2548.8,
        budgetLeftSeconds: -2851.2,
        budgetLeftPercent: -111.8644,
        budgetExhaustedAt: '2025-11-10T00:37:26.400Z',
      },
      runs: { total: 102, failed: 2, successPercent: 98.0392 },
      latency: { successfulRuns: 100, p95Seconds: 0.34375, slowRuns: 4, slowPercent: 4, met: true, budgetLeftPercent: 20 },
    });
    expect(
      acme.incidents.map((i: { id: string; downtimeSeconds: number; budgetPercent: number; breaching: boolean }) => [
        i.id,
        i.downtimeSeconds,
        i.budgetPercent,
        i.breaching,
      ]),
    ).toEqual([
      ['inc-1', 1800, 70.6215, true],
      ['inc-2', 3600, 141.2429, true],
      ['inc-3', 0, 0, false],
    ]);
    expect(payco.availability).toMatchObject({
      percent: 100,
      met: true,
      measuredSeconds: 1_382_400,
      budgetSeconds: 6912,
      budgetLeftPercent: 100,
      budgetExhaustedAt: null,
    });
    expect(dnsco).toMatchObject({ verdict: 'no SLA', sla: null, availability: { percent: 99.1667, met: null, budgetSeconds: null } });
    expect(json.definitions.availability).toContain('weighted by the share of regions down');
  });

  it('--format csv: a row per vendor, then a row per incident', async () => {
    const csv = (await report('--format', 'csv')).trimEnd().split('\n');
    const header = csv[0]!.split(',');
    const rows = csv
      .slice(1)
      .map((line) => Object.fromEntries(line.match(/("(?:[^"]|"")*"|[^,]*)(,|$)/g)!.map((c, i) => [header[i], c.replace(/,$/, '').replace(/^"|"$/g, '')])));
    expect(rows.map((r) => [r.record, r.vendor, r.incident])).toEqual([
      ['vendor', 'acme-cdn', ''],
      ['vendor', 'payco', ''],
      ['vendor', 'dnsco', ''],
      ['incident', 'acme-cdn', 'inc-1'],
      ['incident', 'acme-cdn', 'inc-2'],
      ['incident', 'acme-cdn', 'inc-3'],
      ['incident', 'dnsco', 'inc-4'],
    ]);
    expect(rows[0]).toMatchObject({
      sla_availability_percent: '99.9',
      availability_percent: '99.7881',
      availability_met: 'false',
      measured_seconds: '2548800',
      downtime_seconds: '5400',
      budget_left_seconds: '-2851.2',
      latency_p95_ms: '343.75',
      slow_runs: '4',
      latency_met: 'true',
    });
    expect(rows.filter((r) => r.breaching === 'true').map((r) => r.incident)).toEqual(['inc-1', 'inc-2']);
    expect(rows[3]).toMatchObject({
      start: '2025-11-03T10:00:00.000Z',
      end: '2025-11-03T10:30:00.000Z',
      worst: 'hard_down',
      regions: 'ap eu us',
      downtime_seconds: '1800',
    });
  });

  it('--vendor picks one vendor; bad arguments exit 2 with the reason', async () => {
    const json = JSON.parse(await report('--format', 'json', '--vendor', 'payco'));
    expect(json.vendors.map((v: { vendor: string }) => v.vendor)).toEqual(['payco']);
    for (const [args, message] of [
      [['--vendor', 'nope'], 'unknown vendor "nope" (vendors: acme-cdn, payco, dnsco)'],
      [['--from', '2025-11-01'], 'give either --month or --from/--to, not both'],
      [['--format', 'pdf'], "argument 'pdf' is invalid"],
    ] as const) {
      const r = await runCli(['report', '--config', config, '--month', '2025-11', ...args]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(message);
      expect(r.stdout).toBe('');
    }
  });
});

describe('results pushed to a collector end up in the report', () => {
  it('counts delivery runs and their latency per hour, and beacons per vendor, written when the collector stops', async () => {
    const live = join(dir, 'live');
    const liveConfig = join(dir, 'live.yaml');
    writeFileSync(
      liveConfig,
      `collector: { token: t0k, journal: ${JSON.stringify(join(live, 'journal.jsonl'))} }
vendors: [{ name: acme-cdn, hosts: [cdn.acme.test], sla: { availability: 99.9, latency_p95_ms: 300 } }]
rum: { origins: ["https://shop.test"] }
checks:
  - { name: acme-js, vendor: acme-cdn, kind: http, url: "http://acme.test/", interval: 1s, timeout: 1s }
  - { name: acme-api, vendor: acme-cdn, role: control, kind: http, url: "http://acme.test/api", interval: 1s, timeout: 1s }
`,
    );
    const listen = `127.0.0.1:${await freePort()}`;
    const collector = startCli(['collector', '--config', liveConfig, '--listen', listen]);
    await waitFor(async () => (await fetch(`http://${listen}/healthz`)).ok, { what: `collector up\n${collector.output()}` });
    const result = (check: string, ok: boolean, total: number): CheckResult => ({
      id: randomUUID(),
      check,
      vendor: 'acme-cdn',
      kind: 'http',
      role: 'delivery',
      probe: 'p1',
      region: 'eu',
      startedAt: Date.now(),
      ok,
      degraded: false,
      reason: ok ? 'ok' : 'timeout',
      message: ok ? 'HTTP 200' : 'timed out',
      phases: { total },
      assertions: [],
      details: {},
    });
    // 3 delivery runs (one failed, one slower than 300 ms); the control check does not count
    const results = [result('acme-js', true, 0.12), result('acme-js', true, 0.4), result('acme-js', false, 1), result('acme-api', true, 0.05)];
    const res = await fetch(`http://${listen}/v1/results`, {
      method: 'POST',
      body: JSON.stringify({ results }),
      headers: { authorization: 'Bearer t0k', 'content-type': 'application/json' },
    });
    expect(await res.json()).toMatchObject({ accepted: 4, duplicate: 0, unknown_check: 0, refused: [] });
    // one page view that loaded 4 acme-cdn resources, one of which failed
    const beacon = await fetch(`http://${listen}/v1/beacon`, {
      method: 'POST',
      headers: { origin: 'https://shop.test', 'content-type': 'text/plain' },
      body: JSON.stringify(pageView({ 'acme-cdn': vendorLoads(4, 1, [20, 30, 40, 900]) })),
    });
    expect(beacon.status).toBe(204);
    expect(await collector.stop()).toBe(0);

    const lines = readFileSync(join(live, 'journal.hourly.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toEqual([expect.objectContaining({ vendor: 'acme-cdn', runs: 3, failures: 1, slow: 1 })]);
    const r = await runCli(['report', '--config', liveConfig, '--format', 'json']);
    expect(r.code).toBe(0);
    const [acme] = JSON.parse(r.stdout).vendors;
    expect(acme.runs).toEqual({ total: 3, failed: 1, successPercent: 66.6667 });
    expect(acme.latency).toMatchObject({ successfulRuns: 2, slowRuns: 1, slowPercent: 50, met: false });
    // p75 of 20, 30, 40, 900 ms: rank 3 is the top of the (25, 50] ms bucket
    expect(acme.rum).toMatchObject({ pageViews: 1, resourceLoads: 4, failedLoads: 1, successPercent: 75, p75Seconds: 0.05 });
  });
});
