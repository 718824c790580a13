import { createServer, type Server } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startCli, tempDir, waitFor, type Running } from '../support/processes.ts';
import { promtoolCheckMetrics, startPrometheus, type Prometheus } from '../support/prometheus.ts';

let target: Server;
let agent: Running;
let prometheus: Prometheus;
let agentAddr: string;

beforeAll(async () => {
  target = createServer((req, res) => {
    res.statusCode = req.url === '/ok' ? 200 : 500;
    res.end();
  });
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(target.address() as { port: number }).port}`;
  const dir = tempDir();
  const config = join(dir, 'vendorwatch.yaml');
  writeFileSync(
    config,
    `probe: { id: itest, region: lab }
consensus: { min_probes: 1 }
vendors: [{ name: acme-cdn, kind: cdn }]
checks:
  - { name: up, vendor: acme-cdn, kind: http, url: "${base}/ok", interval: 1s, timeout: 1s }
  - { name: broken, vendor: acme-cdn, kind: http, url: "${base}/broken", interval: 1s, timeout: 1s }
`,
  );
  agentAddr = `127.0.0.1:${await freePort()}`;
  agent = startCli(['run', '--config', config, '--listen', agentAddr]);
  await waitFor(async () => (await fetch(`http://${agentAddr}/healthz`)).ok, { what: 'agent /healthz' });
  prometheus = await startPrometheus([agentAddr]);
});

afterAll(async () => {
  await prometheus?.stop();
  await agent?.stop();
  await new Promise<void>((r) => target.close(() => r()));
});

describe('a running agent scraped by a real Prometheus', () => {
  it('exposes check results that Prometheus can query', async () => {
    const series = await waitFor(
      async () => {
        const r = await prometheus.query('vendorwatch_check_success');
        return r.length === 2 ? r : undefined;
      },
      { what: 'vendorwatch_check_success in Prometheus' },
    );
    const byCheck = Object.fromEntries(series.map((s) => [s.metric.check, s]));
    expect(byCheck.up!.metric).toMatchObject({ vendor: 'acme-cdn', kind: 'http', region: 'lab', probe: 'itest', job: 'vendorwatch' });
    expect(byCheck.up!.value[1]).toBe('1');
    expect(byCheck.broken!.value[1]).toBe('0');
    const failures = await waitFor(async () => {
      const r = await prometheus.query('vendorwatch_check_runs_total{check="broken",result="failure",reason="http_status"}');
      return r.length ? r : undefined;
    });
    expect(Number(failures[0]!.value[1])).toBeGreaterThan(0);
  });

  it('serves metrics that pass promtool check metrics', async () => {
    const exposition = await (await fetch(`http://${agentAddr}/metrics`)).text();
    expect(exposition).toContain('vendorwatch_check_duration_seconds_bucket');
    expect(promtoolCheckMetrics(exposition)).toEqual({ status: 0, output: '' });
  });

  it('stops cleanly on SIGTERM with exit code 0', async () => {
    expect(await agent.stop('SIGTERM')).toBe(0);
  });
});
