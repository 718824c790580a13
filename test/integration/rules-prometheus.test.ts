/**
 * The generated rules loaded into a real Prometheus that scrapes two real probes: consensus and the
 * hard_down VendorOutage alert come out of the probes' own metrics, with the alert text expanded.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, runCli, startCli, tempDir, waitFor, type Running } from '../support/processes.ts';
import { startStatusTarget } from '../support/http.ts';
import { startPrometheus, type Prometheus } from '../support/prometheus.ts';

let target: Awaited<ReturnType<typeof startStatusTarget>>;
const probes: Running[] = [];
let prometheus: Prometheus;

beforeAll(async () => {
  target = await startStatusTarget();
  const { base } = target;
  const dir = tempDir('vendorwatch-rules-live-');
  const config = join(dir, 'vendorwatch.yaml');
  writeFileSync(
    config,
    `consensus: { min_probes: 2 }
vendors: [{ name: acme-cdn, kind: cdn }, { name: good-cdn, kind: cdn }]
checks:
  - { name: acme-js, vendor: acme-cdn, kind: http, url: "${base}/broken", interval: 1s, timeout: 1s }
  - { name: good-js, vendor: good-cdn, kind: http, url: "${base}/ok", interval: 1s, timeout: 1s }
`,
  );
  const rules = await runCli(['rules', '--config', config]);
  expect(rules.code).toBe(0);
  const rulesFile = join(dir, 'rules.yaml');
  writeFileSync(rulesFile, rules.stdout);

  const addrs: string[] = [];
  for (const id of ['p1', 'p2']) {
    const addr = `127.0.0.1:${await freePort()}`;
    probes.push(startCli(['run', '--config', config, '--listen', addr, '--id', id, '--region', 'lab']));
    addrs.push(addr);
  }
  for (const addr of addrs) await waitFor(async () => (await fetch(`http://${addr}/healthz`)).ok, { what: `probe ${addr}` });
  prometheus = await startPrometheus(addrs, { ruleFiles: [rulesFile] });
});

afterAll(async () => {
  await prometheus?.stop();
  await Promise.all(probes.map((p) => p.stop()));
  await target?.close();
});

describe('generated rules in a real Prometheus', () => {
  it('load and evaluate without errors', async () => {
    const groups = await waitFor(async () => {
      const body = (await (await fetch(`${prometheus.url}/api/v1/rules`)).json()) as {
        data: { groups: { name: string; rules: { name: string; health: string; lastError?: string }[] }[] };
      };
      const all = body.data.groups.flatMap((g) => g.rules);
      return all.length && all.every((r) => r.health !== 'unknown') ? body.data.groups : undefined;
    });
    expect(groups.map((g) => g.name)).toEqual(['vendorwatch-consensus', 'vendorwatch-probes', 'vendorwatch-vendor-acme-cdn', 'vendorwatch-vendor-good-cdn']);
    const unhealthy = groups.flatMap((g) => g.rules).filter((r) => r.health !== 'ok');
    expect(unhealthy).toEqual([]);
  });

  it('computes vendor states from the two probes’ votes', async () => {
    const states = await waitFor(
      async () => {
        const r = await prometheus.query('vendorwatch:vendor_state == 1');
        const byVendor = Object.fromEntries(r.map((s) => [s.metric.vendor, s.metric.state]));
        return byVendor['acme-cdn'] === 'hard_down' && byVendor['good-cdn'] === 'operational' ? byVendor : undefined;
      },
      { what: 'acme-cdn hard_down and good-cdn operational' },
    );
    expect(states).toEqual({ 'acme-cdn': 'hard_down', 'good-cdn': 'operational' });
    const voters = await prometheus.query('vendorwatch:region_voters:count{check="acme-js"}');
    expect(voters.map((s) => [s.metric.region, s.value[1]])).toEqual([['lab', '2']]);
  });

  it('fires VendorOutage with readable text', async () => {
    const alert = await waitFor(
      async () => {
        const body = (await (await fetch(`${prometheus.url}/api/v1/alerts`)).json()) as {
          data: { alerts: { labels: Record<string, string>; annotations: Record<string, string>; state: string }[] };
        };
        // The reasons come from increase() over the failure counters: they show once two scrapes of them are in.
        return body.data.alerts.find(
          (a) => a.labels.alertname === 'VendorOutage' && a.state === 'firing' && a.annotations.description?.includes('Failure reasons'),
        );
      },
      { what: 'VendorOutage firing, with its failure reasons' },
    );
    expect(alert.labels).toEqual({ alertname: 'VendorOutage', vendor: 'acme-cdn', severity: 'page' });
    expect(alert.annotations).toMatchObject({ state: 'hard_down', regions: 'lab' });
    expect(alert.annotations.summary).toBe('acme-cdn is hard down: delivery fails in 1 of 1 regions');
    expect(alert.annotations.description).toBe(
      "Probes agree that acme-cdn's delivery checks are failing: acme-js in lab (2 of 2 probes). Failure reasons, most frequent first: http_status.",
    );
  });
});
