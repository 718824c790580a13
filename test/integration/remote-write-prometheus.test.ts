/**
 * Remote write end to end, with no scrape of the probes: two real `vendorwatch probe` processes
 * remote-write their metrics into a real Prometheus (--web.enable-remote-write-receiver) that
 * evaluates `vendorwatch rules` and sends its alerts to a real Alertmanager. A second Prometheus
 * scrapes the same two probes; both must reach the same vendor states and region verdicts. A
 * vendor whose lab target fails pages exactly once; a probe that stops pushing is ProbeDown by its
 * samples' freshness (there is no `up` for pushed series).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAlertmanager, startSink, type Alertmanager, type Sink } from '../support/alertmanager.ts';
import { freePort, runCli, startCli, tempDir, waitFor, type Running } from '../support/processes.ts';
import { startStatusTarget } from '../support/http.ts';
import { startPrometheus, type Prometheus } from '../support/prometheus.ts';

let target: Awaited<ReturnType<typeof startStatusTarget>>;
let sink: Sink;
let alertmanager: Alertmanager;
let pushed: Prometheus;
let scraped: Prometheus;
const probes = new Map<string, Running>();

const LONG = { timeoutMs: 120_000, everyMs: 500 };

beforeAll(async () => {
  target = await startStatusTarget();
  const { base } = target;
  const dir = tempDir('vendorwatch-remote-write-');

  sink = await startSink();
  alertmanager = await startAlertmanager(`${sink.url}/alerts`);
  const config = join(dir, 'vendorwatch.yaml');
  // The receiver's URL comes from the environment: the rules are generated before Prometheus starts.
  writeFileSync(
    config,
    `consensus: { min_probes: 2 }
collector: { probe_down_after: 5s }
probe:
  remote_write:
    - { url: "\${REMOTE_WRITE_URL}", name: lab-prometheus, interval: 1s }
vendors: [{ name: acme-cdn, kind: cdn }, { name: good-cdn, kind: cdn }]
checks:
  - { name: acme-js, vendor: acme-cdn, kind: http, url: "${base}/broken", interval: 1s, timeout: 1s }
  - { name: good-js, vendor: good-cdn, kind: http, url: "${base}/ok", interval: 1s, timeout: 1s }
`,
  );
  const rules = await runCli(['rules', '--config', config], { env: { REMOTE_WRITE_URL: 'http://127.0.0.1:1/api/v1/write' } });
  expect(rules.code).toBe(0);
  const rulesFile = join(dir, 'rules.yaml');
  writeFileSync(rulesFile, rules.stdout);
  pushed = await startPrometheus([], { ruleFiles: [rulesFile], alertmanager: alertmanager.url, remoteWriteReceiver: true });
  const env = { REMOTE_WRITE_URL: `${pushed.url}/api/v1/write` };

  const addrs: string[] = [];
  for (const id of ['p1', 'p2']) {
    const addr = `127.0.0.1:${await freePort()}`;
    probes.set(id, startCli(['probe', '--config', config, '--listen', addr, '--id', id, '--region', 'lab'], { env }));
    addrs.push(addr);
  }
  for (const addr of addrs) await waitFor(async () => (await fetch(`http://${addr}/healthz`)).ok, { ...LONG, what: `probe ${addr}` });
  scraped = await startPrometheus(addrs, { ruleFiles: [rulesFile] });
}, 180_000);

afterAll(async () => {
  await Promise.all([...probes.values()].map((p) => p.stop()));
  await Promise.all([pushed?.stop(), scraped?.stop(), alertmanager?.stop()]);
  await sink?.close();
  await target?.close();
});

/** Each vendor's state, where the rules say one holds. */
async function vendorStates(prometheus: Prometheus): Promise<Record<string, string>> {
  const r = await prometheus.query('vendorwatch:vendor_state == 1');
  return Object.fromEntries(r.map((s) => [s.metric.vendor!, s.metric.state!]));
}

describe('remote write into a real Prometheus running `vendorwatch rules`', () => {
  it('receives both probes’ series with no scrape at all, each series under its probe', async () => {
    const targets = (await (await fetch(`${pushed.url}/api/v1/targets`)).json()) as { data: { activeTargets: unknown[] } };
    expect(targets.data.activeTargets).toEqual([]);
    const perProbe = await waitFor(
      async () => {
        const r = await pushed.query('count by (probe, region) (vendorwatch_check_runs_total{check="acme-js"})');
        return r.length === 2 ? r.map((s) => `${s.metric.region}/${s.metric.probe}`).sort() : undefined;
      },
      { ...LONG, what: 'runs of acme-js from both probes' },
    );
    expect(perProbe).toEqual(['lab/p1', 'lab/p2']);
    expect(await pushed.query('up')).toEqual([]);
    // The probes' own remote-write counters arrive the same way.
    const sent = await waitFor(async () => {
      const r = await pushed.query('vendorwatch_probe_remote_write_samples_total{result="sent"} > 0');
      return r.length === 2 ? r.map((s) => s.metric.target) : undefined;
    }, LONG);
    expect(sent).toEqual(['lab-prometheus', 'lab-prometheus']);
  });

  it('reaches the same vendor states and region verdicts on pushed series as on scraped ones', async () => {
    const expected = { 'acme-cdn': 'hard_down', 'good-cdn': 'operational' };
    for (const prometheus of [pushed, scraped]) {
      await waitFor(async () => JSON.stringify(await vendorStates(prometheus)) === JSON.stringify(expected), {
        ...LONG,
        what: `acme-cdn hard_down and good-cdn operational in ${prometheus.url}`,
      });
    }
    const verdicts = async (prometheus: Prometheus) =>
      (await prometheus.query('vendorwatch:region_failing:bool')).map((s) => `${s.metric.check}@${s.metric.region}=${s.value[1]}`).sort();
    expect(await verdicts(pushed)).toEqual(['acme-js@lab=1', 'good-js@lab=0']);
    expect(await verdicts(scraped)).toEqual(await verdicts(pushed));
    const voters = await pushed.query('vendorwatch:region_voters:count{check="acme-js"}');
    expect(voters.map((s) => s.value[1])).toEqual(['2']);
  });

  it('pages through Alertmanager once for the failing vendor', async () => {
    const outage = await waitFor(
      async () => {
        const active = (await alertmanager.alerts()).filter((a) => a.labels.alertname === 'VendorOutage' && a.status.state === 'active');
        return active.length ? active : undefined;
      },
      { ...LONG, what: 'VendorOutage in Alertmanager' },
    );
    expect(outage.map((a) => a.labels)).toEqual([{ alertname: 'VendorOutage', vendor: 'acme-cdn', severity: 'page' }]);
    const notified = await waitFor(() => {
      const alerts = sink.bodies('/alerts').flatMap((b) => (b as { alerts: { labels: Record<string, string> }[] }).alerts);
      const pages = alerts.filter((a) => a.labels.severity === 'page');
      return pages.length ? pages : undefined;
    }, LONG);
    const identities = new Set(notified.map((a) => JSON.stringify(Object.entries(a.labels).sort())));
    expect([...identities].map((i) => Object.fromEntries(JSON.parse(i) as [string, string][]))).toEqual([
      { alertname: 'VendorOutage', severity: 'page', vendor: 'acme-cdn' },
    ]);
  });

  it('raises ProbeDown for a probe whose pushed samples go stale', async () => {
    await probes.get('p2')!.stop();
    const down = await waitFor(
      async () => {
        const active = (await alertmanager.alerts()).filter((a) => a.labels.alertname === 'ProbeDown' && a.status.state === 'active');
        return active.length ? active : undefined;
      },
      { ...LONG, what: 'ProbeDown in Alertmanager' },
    );
    expect(down.map((a) => [a.labels.probe, a.labels.region])).toEqual([['p2', 'lab']]);
  });
});
