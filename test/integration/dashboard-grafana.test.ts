/**
 * `vendorwatch dashboard`: valid Grafana JSON with the vendor numbers first, and every PromQL
 * expression in it accepted by a real Prometheus — which scrapes a real probe and evaluates the
 * generated rules, so the top row shows real numbers.
 */
import { createServer, type Server } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, runCli, startCli, tempDir, waitFor, type Running } from '../support/processes.ts';
import { startPrometheus, type Prometheus } from '../support/prometheus.ts';

interface Target {
  expr: string;
  instant?: boolean;
}
interface Panel {
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { uid: string };
  targets?: Target[];
}
interface Dashboard {
  uid: string;
  schemaVersion: number;
  templating: { list: { name: string; type: string; definition?: string }[] };
  annotations: { list: { expr: string }[] };
  panels: Panel[];
}

let target: Server;
let probe: Running;
let prometheus: Prometheus;
let dashboard: Dashboard;

beforeAll(async () => {
  target = createServer((_req, res) => res.end('ok'));
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(target.address() as { port: number }).port}`;
  const dir = tempDir('vendorwatch-dashboard-');
  const config = join(dir, 'vendorwatch.yaml');
  writeFileSync(
    config,
    `consensus: { min_probes: 1 }
vendors: [{ name: acme-cdn, kind: cdn, sla: { availability: 99.5, latency_p95_ms: 300 } }]
checks:
  - { name: acme-js, vendor: acme-cdn, kind: http, url: "${base}/app.js", interval: 1s, timeout: 1s }
`,
  );
  const out = await runCli(['dashboard', '--config', config]);
  expect(out.code).toBe(0);
  dashboard = JSON.parse(out.stdout) as Dashboard;

  const rules = await runCli(['rules', '--config', config]);
  const rulesFile = join(dir, 'rules.yaml');
  writeFileSync(rulesFile, rules.stdout);
  const addr = `127.0.0.1:${await freePort()}`;
  probe = startCli(['run', '--config', config, '--listen', addr, '--id', 'p1', '--region', 'lab']);
  await waitFor(async () => (await fetch(`http://${addr}/healthz`)).ok, { what: 'probe /healthz' });
  prometheus = await startPrometheus([addr], { ruleFiles: [rulesFile] });
});

afterAll(async () => {
  await prometheus?.stop();
  await probe?.stop();
  await new Promise<void>((r) => target?.close(() => r()));
});

/** What Grafana does before sending a query: template variables replaced ("All" is `.*`). */
function substitute(expr: string): string {
  return expr
    .replaceAll('$__rate_interval', '1m')
    .replaceAll('$__interval', '1m')
    .replaceAll('$__range', '1h')
    .replace(/\$(vendor|region|check)\b/g, '.*');
}

async function query(
  expr: string,
): Promise<{ status: string; error?: string; data?: { result: { metric: Record<string, string>; value: [number, string] }[] } }> {
  const res = await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent(substitute(expr))}`);
  return (await res.json()) as { status: string; error?: string };
}

const panelsWithQueries = () => dashboard.panels.filter((p) => p.type !== 'row');

describe('vendorwatch dashboard', () => {
  it('is a Grafana dashboard with a Prometheus data source variable and vendor, region and check pickers', () => {
    expect(dashboard.uid).toBe('vendorwatch');
    expect(dashboard.schemaVersion).toBe(39);
    expect(dashboard.templating.list.map((v) => [v.name, v.type])).toEqual([
      ['datasource', 'datasource'],
      ['vendor', 'query'],
      ['region', 'query'],
      ['check', 'query'],
    ]);
    for (const panel of panelsWithQueries()) expect(panel.datasource, panel.title).toEqual({ type: 'prometheus', uid: '${datasource}' });
  });

  it('shows the vendor numbers first, then drill-downs by check, probe and RUM vendor', () => {
    const rows = dashboard.panels.filter((p) => p.type === 'row').map((p) => p.title);
    expect(rows).toEqual(['Vendors', 'Checks', 'Probes', 'Real users (RUM)']);
    const top = dashboard.panels.filter((p) => p.type !== 'row' && p.gridPos.y === 1).map((p) => p.title);
    expect(top).toEqual(['State', 'Availability over the range', 'p95 latency by region over the range']);
    const titles = dashboard.panels.map((p) => p.title);
    for (const t of ['p95 by phase', 'Worst check result per probe', 'Resource time p75 by vendor', 'LCP p75 by vendor', 'Navigation phases p75']) {
      expect(titles).toContain(t);
    }
  });

  it('lays panels out on the 24-column grid without overlaps', () => {
    const cells = new Set<string>();
    for (const { gridPos: g, title } of dashboard.panels) {
      expect(g.x + g.w, title).toBeLessThanOrEqual(24);
      for (let x = g.x; x < g.x + g.w; x++) {
        for (let y = g.y; y < g.y + g.h; y++) {
          expect(cells.has(`${x},${y}`), `${title} overlaps at ${x},${y}`).toBe(false);
          cells.add(`${x},${y}`);
        }
      }
    }
  });

  it('has only PromQL a real Prometheus accepts', async () => {
    const exprs = [
      ...panelsWithQueries().flatMap((p) => (p.targets ?? []).map((t) => ({ where: p.title, expr: t.expr }))),
      ...dashboard.annotations.list.map((a) => ({ where: 'annotation', expr: a.expr })),
      // label_values(selector, label): the selector is PromQL
      ...dashboard.templating.list.flatMap((v) =>
        v.definition ? [{ where: `$${v.name}`, expr: v.definition.replace(/^label_values\((.*), \w+\)$/, '$1') }] : [],
      ),
    ];
    expect(exprs.length).toBeGreaterThan(15);
    for (const { where, expr } of exprs) {
      const r = await query(expr);
      expect({ where, status: r.status, error: r.error }).toEqual({ where, status: 'success', error: undefined });
    }
  });

  it('shows the probe’s vendor in the top row: operational (from the rules), available, with a p95', async () => {
    const [state, availability, latency] = panelsWithQueries()
      .slice(0, 3)
      .map((p) => p.targets![0]!.expr);
    const values = await waitFor(
      async () => {
        const [s, a, l] = await Promise.all([state, availability, latency].map((e) => query(e!)));
        // A rate over the range is NaN (0/0) until Prometheus has two scrapes of the counters.
        const one = (r: typeof s) => {
          const v = r.data?.result.find((x) => x.metric.vendor === 'acme-cdn')?.value[1];
          return v === 'NaN' ? undefined : v;
        };
        return one(s) && one(a) && one(l) ? { state: one(s), availability: one(a), latency: Number(one(l)) } : undefined;
      },
      { what: 'top-row numbers for acme-cdn' },
    );
    expect(values.state).toBe('1'); // operational
    expect(values.availability).toBe('1');
    expect(values.latency).toBeGreaterThan(0);
  });
});
