/**
 * A collector process and three probe processes in one region, one of them with its clock five
 * minutes behind. Every push of the late probe is answered 200, and its votes fall outside the
 * window; the collector must say so: its skew in /v1/probes, the status page and /metrics, and a
 * ProbeClockSkew ticket. Machines here share one clock, so the late probe's clock is moved by a
 * preloaded module that shifts Date.now (the one fault a real clock will not produce on demand).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFaultServer } from '../../lab/faults.ts';
import type { LabServer } from '../../lab/server.ts';
import { startSink, type Sink } from '../support/alertmanager.ts';
import { freePort, startCli, tempDir, waitFor, type Running } from '../support/processes.ts';
import { promtoolCheckMetrics } from '../support/prometheus.ts';

const TOKEN = 'clock-test-token';
const BEHIND_MS = 5 * 60_000;
/** Moves this process's clock: Date.now and new Date() read BEHIND_MS in the past. */
const shiftClock = `data:text/javascript,${encodeURIComponent(
  `const shift = ${BEHIND_MS}; const RealDate = Date; const now = () => RealDate.now() - shift;
   globalThis.Date = class extends RealDate { constructor(...a) { super(...(a.length ? a : [now()])); } static now() { return now(); } };`,
)}`;

const dir = tempDir();
let target: LabServer;
let sink: Sink;
let collector: Running;
let collectorUrl: string;
const probes: Running[] = [];

interface ProbeView {
  id: string;
  health: string;
  clockSkew: number | null;
  clockSkewed: boolean;
}
const probeViews = async () => ((await (await fetch(`${collectorUrl}/v1/probes`)).json()) as { probes: ProbeView[] }).probes;

beforeAll(async () => {
  target = await startFaultServer();
  sink = await startSink();
  collectorUrl = `http://127.0.0.1:${await freePort()}`;
  const config = join(dir, 'vendorwatch.yaml');
  writeFileSync(
    config,
    `probe: { spool_dir: ${JSON.stringify(join(dir, 'spool'))}, push_interval: 500ms }
collector: { token: ${TOKEN}, journal: ${JSON.stringify(join(dir, 'journal.jsonl'))}, evaluate_every: 500ms, max_clock_skew: 30s }
alerts: { webhook: { url: ${sink.url}/hook } }
vendors: [{ name: acme }]
checks:
  - { name: acme-js, vendor: acme, kind: http, url: "${target.url}/ok", interval: 1s, timeout: 1s }
`,
  );
  collector = startCli(['collector', '--config', config, '--listen', new URL(collectorUrl).host]);
  for (const id of ['eu-1', 'eu-2', 'eu-late']) {
    const env = id === 'eu-late' ? { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${shiftClock}` } : {};
    probes.push(
      startCli(['probe', '--config', config, '--listen', `127.0.0.1:${await freePort()}`, '--id', id, '--region', 'eu', '--collector', collectorUrl], { env }),
    );
  }
}, 60_000);

afterAll(async () => {
  await Promise.all(probes.map((p) => p.stop()));
  await collector?.stop();
  await sink?.close();
  await target?.close();
});

describe('a probe whose clock is five minutes behind', () => {
  it('is measured, shown and flagged with ProbeClockSkew instead of silently outvoted', async () => {
    // The skew is given once a whole minute of pushes is in (a spooled backlog must not look like skew).
    const late = await waitFor(async () => (await probeViews()).find((p) => p.id === 'eu-late' && p.clockSkewed), {
      what: `eu-late flagged\n${collector.output().slice(-3000)}`,
      timeoutMs: 180_000,
    });
    // Pushes are answered 200 and the probe is up: what tells is its clock.
    expect(late.health).toBe('up');
    expect(late.clockSkew).toBeGreaterThan(BEHIND_MS / 1000 - 5);
    expect(late.clockSkew).toBeLessThan(BEHIND_MS / 1000 + 5);
    const others = (await probeViews()).filter((p) => p.id !== 'eu-late');
    for (const p of others) {
      expect(p.clockSkewed, p.id).toBe(false);
      expect(Math.abs(p.clockSkew ?? 0), p.id).toBeLessThan(5);
    }

    const alert = await waitFor(() =>
      sink
        .bodies('/hook')
        .flatMap((b) => (b as { alerts: { status: string; labels: Record<string, string>; annotations: Record<string, string> }[] }).alerts)
        .find((a) => a.labels.alertname === 'ProbeClockSkew'),
    );
    expect(alert.status).toBe('firing');
    expect(alert.labels).toEqual({ alertname: 'ProbeClockSkew', probe: 'eu-late', region: 'eu', severity: 'ticket' });
    expect(alert.annotations.summary).toMatch(/^Probe eu-late in eu has a clock 5m behind the collector's/);

    const metrics = await (await fetch(`${collectorUrl}/metrics`)).text();
    const line = metrics.split('\n').find((l) => l.startsWith('vendorwatch_probe_clock_skew_seconds{probe="eu-late",region="eu"}'));
    expect(Number(line?.split(' ').pop())).toBeGreaterThan(BEHIND_MS / 1000 - 5);
    expect(promtoolCheckMetrics(metrics)).toEqual({ status: 0, output: '' });

    const page = await (await fetch(`${collectorUrl}/`)).text();
    expect(page).toMatch(/<span class="badge h-unhealthy">clock off<\/span> 30\d\.\d s behind/);
  }, 240_000);
});
