/**
 * Four probe processes in two regions push to a collector process, which alerts a real
 * Alertmanager (and a generic webhook). A local target fails per probe or per region, read
 * from the probes' User-Agent ("vendorwatch/0.1 (probe eu-1; region eu)").
 *
 * The scenarios run in order on the same processes; each ends where the next can start.
 */
import { createServer, type Server } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAlertmanager, startSink, type Alertmanager, type Sink } from '../support/alertmanager.ts';
import { freePort, startCli, tempDir, waitFor, type Running } from '../support/processes.ts';
import { FOUR_PROBES } from '../support/probes.ts';

const TOKEN = 'scenario-token';
const PROBES = FOUR_PROBES;
type ProbeId = (typeof PROBES)[number][0];

type Fault = 'ok' | 'fail' | 'slow';
/** What the target does, per path, for a given probe and region. */
const faults: Record<string, (probe: string, region: string) => Fault> = {};
let brokenProbe: string | undefined;

let target: Server;
let sink: Sink;
let am: Alertmanager;
let collector: Running;
let collectorArgs: string[];
let collectorUrl: string;
const probes = new Map<ProbeId, { proc: Running; url: string }>();
const dir = tempDir();

interface Notified {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string | null;
}
/** Alerts the collector's generic webhook sent, in order. */
const hooked = () => sink.bodies('/vendorwatch').flatMap((b) => (b as { alerts: Notified[] }).alerts);
/** Notifications Alertmanager sent (each one a page, with group_by: ['...']). */
const paged = () => sink.bodies('/alertmanager').flatMap((b) => (b as { alerts: Notified[] }).alerts);
const count = (list: Notified[], status: Notified['status'], alertname: string, who: string) =>
  list.filter((a) => a.status === status && a.labels.alertname === alertname && (a.labels.vendor ?? a.labels.probe) === who).length;

const amAlert = async (alertname: string, who: string) =>
  (await am.alerts()).find((a) => a.labels.alertname === alertname && (a.labels.vendor ?? a.labels.probe) === who);

interface VendorView {
  name: string;
  state: string;
  conditions: { state: string; regions: string[] }[];
  regions: Record<string, { state: string }[]>;
  evidence: { check: string; region: string; outage: string; slow: string; votes: { ok: boolean; degraded: boolean }[] }[];
}
async function vendor(name: string): Promise<VendorView | undefined> {
  const body = (await (await fetch(`${collectorUrl}/v1/vendors`)).json()) as { ready: boolean; vendors: VendorView[] };
  return body.ready ? body.vendors.find((v) => v.name === name) : undefined;
}

/** A sample value from a Prometheus exposition. */
function sample(text: string, name: string, labels: Record<string, string>): number {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && want.every((w) => l.includes(w)));
  return line ? Number(line.split(' ').pop()) : 0;
}
const probeMetrics = async (id: ProbeId) => (await fetch(`${probes.get(id)!.url}/metrics`)).text();
const collectorLabel = () => new URL(collectorUrl).host;

beforeAll(async () => {
  target = createServer((req, res) => {
    const m = /probe (\S+); region (\S+)\)/.exec(req.headers['user-agent'] ?? '');
    const [probe, region] = [m?.[1] ?? '', m?.[2] ?? ''];
    const path = new URL(req.url ?? '/', 'http://target').pathname;
    const fault = probe === brokenProbe ? 'fail' : (faults[path]?.(probe, region) ?? 'ok');
    if (fault === 'fail') {
      res.statusCode = 503;
      res.end('down');
    } else if (fault === 'slow') setTimeout(() => res.end('slow but complete'), 1000);
    else res.end('fine');
  });
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(target.address() as { port: number }).port}`;
  sink = await startSink();
  am = await startAlertmanager(`${sink.url}/alertmanager`);

  collectorUrl = `http://127.0.0.1:${await freePort()}`;
  const config = join(dir, 'vendorwatch.yaml');
  writeFileSync(
    config,
    `probe: { spool_dir: ${JSON.stringify(join(dir, 'spool'))}, push_interval: 500ms }
collector:
  token: \${VENDORWATCH_TOKEN}
  journal: ${JSON.stringify(join(dir, 'journal.jsonl'))}
  evaluate_every: 500ms
  probe_down_after: 4s
  flapping: { window: 30s, incidents: 3 }
consensus: { min_probes: 2 }
alerts:
  alertmanager: { url: ${am.url} }
  webhook: { url: ${sink.url}/vendorwatch }
  dashboard_url: https://grafana.example.com/d/vendorwatch
vendors:
  - { name: cdn-a, kind: cdn, runbook: "https://wiki.example.com/runbooks/cdn-a" }
  - { name: cdn-b, kind: cdn }
  - { name: api-p, kind: api }
  - { name: cdn-flap, kind: cdn }
checks:
  - { name: a-js, vendor: cdn-a, kind: http, url: "${base}/a", interval: 1s, timeout: 1s }
  - { name: b-js, vendor: cdn-b, kind: http, url: "${base}/b", interval: 1s, timeout: 1s }
  # Slow, two ways: the delivery check crosses its latency threshold (ok, but degraded), and
  # the performance check runs out of time (a failing performance check means degraded too).
  - { name: p-api, vendor: api-p, kind: http, url: "${base}/p", interval: 2s, timeout: 2s, expect: { latency: { total: 500ms } } }
  - { name: p-latency, vendor: api-p, role: performance, kind: http, url: "${base}/p", interval: 1s, timeout: 500ms }
  - { name: flap-js, vendor: cdn-flap, kind: http, url: "${base}/flap", interval: 1s, timeout: 1s }
`,
  );
  const env = { VENDORWATCH_TOKEN: TOKEN };
  collectorArgs = ['collector', '--config', config, '--listen', new URL(collectorUrl).host];
  collector = startCli(collectorArgs, { env });
  for (const [id, region] of PROBES) {
    const listen = `127.0.0.1:${await freePort()}`;
    const proc = startCli(['probe', '--config', config, '--listen', listen, '--id', id, '--region', region, '--collector', collectorUrl], { env });
    probes.set(id, { proc, url: `http://${listen}` });
  }
  await waitFor(
    async () => {
      const all = await Promise.all(['cdn-a', 'cdn-b', 'api-p', 'cdn-flap'].map(vendor));
      return all.every((v) => v?.state === 'operational');
    },
    // Five Node processes starting at once on a loaded 2-core machine can take most of a minute.
    { what: 'every vendor operational', timeoutMs: 100_000 },
  ).catch((err: Error) => {
    throw new Error(`${err.message}\ncollector:\n${collector.output().slice(-4000)}`);
  });
}, 120_000);

afterAll(async () => {
  await Promise.all([...probes.values()].map((p) => p.proc.stop()));
  await collector?.stop();
  await am?.stop();
  await sink?.close();
  await new Promise<void>((r) => target?.close(() => r()));
});

describe('consensus across probe processes, alerts in a real Alertmanager', () => {
  it('an outage seen by every region is hard_down, with an alert readable at 2 a.m.', async () => {
    faults['/a'] = () => 'fail';
    const alert = await waitFor(
      async () => {
        const a = await amAlert('VendorOutage', 'cdn-a');
        return a?.annotations.regions === 'eu, us' ? a : undefined;
      },
      { what: 'VendorOutage in eu, us in Alertmanager' },
    );
    expect(alert.labels).toEqual({ alertname: 'VendorOutage', vendor: 'cdn-a', severity: 'page' });
    expect(alert.annotations.summary).toMatch(
      /^cdn-a is HARD DOWN: delivery fails in 2 of 2 regions \(eu, us\)\. 4 of 4 probes fail a-js in the response \(http_status\): "HTTP 503, expected 200-399", since .+ UTC\.$/,
    );
    for (const [id] of PROBES) expect(alert.annotations.votes).toContain(`${id} ✗ http_status`);
    expect(alert.annotations).toMatchObject({
      state: 'hard_down',
      regions: 'eu, us',
      phase: 'response',
      reason: 'http_status',
      sample: 'HTTP 503, expected 200-399',
      runbook_url: 'https://wiki.example.com/runbooks/cdn-a',
      dashboard_url: 'https://grafana.example.com/d/vendorwatch?var-vendor=cdn-a',
    });
    // Active alerts are given an expiry in the future and re-sent before it.
    expect(Date.parse(alert.endsAt)).toBeGreaterThan(Date.now());
    await waitFor(() => count(paged(), 'firing', 'VendorOutage', 'cdn-a') === 1, { what: 'Alertmanager notification' });
    expect(count(hooked(), 'firing', 'VendorOutage', 'cdn-a')).toBe(1);
  });

  it('resolves when the vendor recovers: endsAt set, the incident closed with its evidence', async () => {
    faults['/a'] = () => 'ok';
    await waitFor(async () => !(await amAlert('VendorOutage', 'cdn-a')), { what: 'alert resolved in Alertmanager' });
    const resolved = await waitFor(() => paged().find((a) => a.status === 'resolved' && a.labels.vendor === 'cdn-a'), { what: 'resolved notification' });
    expect(Date.parse(resolved.endsAt!)).toBeGreaterThan(Date.parse(resolved.startsAt));
    expect(resolved.annotations.summary).toMatch(/^Resolved: cdn-a was hard down in eu, us for \d+s \(incident .+\)\.$/);
    expect(count(hooked(), 'resolved', 'VendorOutage', 'cdn-a')).toBe(1);
    const { incidents } = (await (await fetch(`${collectorUrl}/v1/incidents?vendor=cdn-a`)).json()) as {
      incidents: { worst: string; regions: string[]; end: number | null; evidence: unknown[] }[];
    };
    expect(incidents).toHaveLength(1);
    expect(incidents[0]).toMatchObject({ worst: 'hard_down', regions: ['eu', 'us'] });
    expect(incidents[0]!.end).not.toBeNull();
    expect(incidents[0]!.evidence.length).toBeGreaterThan(0);
  });

  it('an outage in one region is a regional_outage naming that region', async () => {
    faults['/b'] = (_probe, region) => (region === 'us' ? 'fail' : 'ok');
    try {
      const alert = await waitFor(() => amAlert('VendorOutage', 'cdn-b'), { what: 'VendorOutage in Alertmanager' });
      expect(alert.labels).toEqual({ alertname: 'VendorOutage', vendor: 'cdn-b', severity: 'page' });
      expect(alert.annotations).toMatchObject({ state: 'regional_outage', regions: 'us' });
      expect(alert.annotations.summary).toContain('cdn-b has a REGIONAL OUTAGE in us: delivery fails there but works in eu.');
      expect(alert.annotations.summary).toContain('2 of 2 probes fail b-js');
      const view = await vendor('cdn-b');
      expect(view!.regions.us![0]!.state).toBe('hard_down');
      expect(view!.regions.eu![0]!.state).toBe('operational');
    } finally {
      faults['/b'] = () => 'ok';
    }
    await waitFor(async () => !(await amAlert('VendorOutage', 'cdn-b')), { what: 'regional outage resolved' });
  });

  it('one broken probe is a probe alert, and no vendor is blamed', async () => {
    const vendorPagesBefore = hooked().filter((a) => a.labels.vendor).length;
    brokenProbe = 'eu-1';
    try {
      const alert = await waitFor(() => amAlert('ProbeUnhealthy', 'eu-1'), { what: 'ProbeUnhealthy in Alertmanager' });
      expect(alert.labels).toEqual({ alertname: 'ProbeUnhealthy', probe: 'eu-1', region: 'eu', severity: 'ticket' });
      expect(alert.annotations.summary).toMatch(
        /^Probe eu-1 in eu is UNHEALTHY: it fails checks of \d vendors \([a-z-]+(, [a-z-]+)+\) that every other probe passes\./,
      );
      for (const name of ['cdn-a', 'cdn-b', 'api-p', 'cdn-flap']) expect((await vendor(name))!.state).toBe('operational');
    } finally {
      brokenProbe = undefined;
    }
    await waitFor(async () => (await (await fetch(`${collectorUrl}/v1/probes`)).json()).probes?.find((p: { id: string }) => p.id === 'eu-1')?.health === 'up', {
      what: 'probe healthy again',
    });
    // Its alert stays open for one flapping window (30 s here) of health, so an on-and-off probe raises one ticket.
    await waitFor(async () => !(await amAlert('ProbeUnhealthy', 'eu-1')), { what: 'ProbeUnhealthy resolved', timeoutMs: 60_000 });
    expect(hooked().filter((a) => a.labels.alertname === 'ProbeUnhealthy' && a.status === 'firing')).toHaveLength(1);
    expect(hooked().filter((a) => a.labels.vendor).length).toBe(vendorPagesBefore);
  }, 120_000);

  it('a probe that stops reporting is probe_down, until it is back', async () => {
    const vendorPagesBefore = hooked().filter((a) => a.labels.vendor).length;
    probes.get('us-2')!.proc.child.kill('SIGSTOP');
    try {
      const alert = await waitFor(() => amAlert('ProbeDown', 'us-2'), { what: 'ProbeDown in Alertmanager' });
      expect(alert.labels).toEqual({ alertname: 'ProbeDown', probe: 'us-2', region: 'us', severity: 'ticket' });
      expect(alert.annotations.summary).toMatch(/^Probe us-2 in us has sent no results for \d+s/);
    } finally {
      probes.get('us-2')!.proc.child.kill('SIGCONT');
    }
    await waitFor(async () => !(await amAlert('ProbeDown', 'us-2')), { what: 'probe back up' });
    expect(hooked().filter((a) => a.labels.vendor).length).toBe(vendorPagesBefore);
  });

  it('a slow target is degraded (over its latency threshold, a performance check timing out), delivery still fine', async () => {
    faults['/p'] = () => 'slow';
    try {
      // Regions notice at slightly different times: the same alert spreads from one to both.
      const alert = await waitFor(
        async () => {
          const a = await amAlert('VendorImpaired', 'api-p');
          return a?.annotations.regions === 'eu, us' ? a : undefined;
        },
        { what: 'VendorImpaired in both regions in Alertmanager' },
      );
      expect(alert.labels).toEqual({ alertname: 'VendorImpaired', vendor: 'api-p', severity: 'ticket' });
      expect(alert.annotations.state).toBe('degraded');
      expect(alert.annotations.summary).toMatch(
        /^api-p is DEGRADED in eu, us: it still delivers, but slowly\. \d of \d probes find (p-api slow: "degraded: total [\d.]+ s over 0\.5 s"|p-latency slow at ttfb \(timeout\))/,
      );
      // Both ways of being slow show in the evidence: delivery passing over its threshold, the performance check timing out.
      const evidence = await waitFor(
        async () => {
          const rows = (await vendor('api-p'))!.evidence;
          return rows.length === 4 && rows.every((r) => r.slow === 'failing') ? rows : undefined;
        },
        { what: 'both checks slow in both regions' },
      );
      for (const row of evidence.filter((r) => r.check === 'p-api')) {
        expect(row.outage).toBe('passing');
        expect(row.votes.every((v) => v.ok && v.degraded)).toBe(true);
      }
      for (const row of evidence.filter((r) => r.check === 'p-latency')) expect(row.votes.every((v) => !v.ok)).toBe(true);
      expect((await vendor('api-p'))!.conditions).toEqual([{ state: 'degraded', regions: ['eu', 'us'], since: expect.any(Number) }]);
    } finally {
      faults['/p'] = () => 'ok';
    }
    await waitFor(async () => !(await amAlert('VendorImpaired', 'api-p')), { what: 'degraded resolved' });
    await waitFor(() => count(paged(), 'resolved', 'VendorImpaired', 'api-p') === 1, { what: 'degraded resolved notification' });
    expect(count(paged(), 'firing', 'VendorImpaired', 'api-p')).toBe(1);
  });

  it('a flapping target raises one flapping notice after two pages, not a stream of pages', async () => {
    const changes = async () => {
      const text = await (await fetch(`${collectorUrl}/metrics`)).text();
      return text
        .split('\n')
        .filter((l) => l.startsWith('vendorwatch_vendor_state_changes_total{vendor="cdn-flap"'))
        .reduce((n, l) => n + Number(l.split(' ').pop()), 0);
    };
    let failing = false;
    faults['/flap'] = () => (failing ? 'fail' : 'ok');
    const toggle = setInterval(() => (failing = !failing), 3000);
    try {
      await waitFor(() => count(hooked(), 'firing', 'VendorFlapping', 'cdn-flap') === 1, { what: 'VendorFlapping', timeoutMs: 60_000 });
      // Keep flapping well past detection: nothing more may page.
      const seen = await changes();
      await waitFor(async () => (await changes()) >= seen + 6, { what: 'more state changes', timeoutMs: 60_000 });
    } finally {
      clearInterval(toggle);
      faults['/flap'] = () => 'ok';
    }
    expect(count(hooked(), 'firing', 'VendorFlapping', 'cdn-flap')).toBe(1);
    // The first two incidents page (each once); from the third on, VendorFlapping stands for them.
    expect(count(hooked(), 'firing', 'VendorOutage', 'cdn-flap')).toBe(2);
    await waitFor(() => count(paged(), 'firing', 'VendorFlapping', 'cdn-flap') === 1, { what: 'flapping page' });
    expect(count(paged(), 'firing', 'VendorOutage', 'cdn-flap')).toBeLessThanOrEqual(2);
    const flap = (await amAlert('VendorFlapping', 'cdn-flap'))!;
    expect(flap.labels).toEqual({ alertname: 'VendorFlapping', vendor: 'cdn-flap', severity: 'page' });
    expect(flap.annotations.summary).toMatch(/^cdn-flap is FLAPPING: \d+ separate incidents since /);
  }, 150_000);

  const delivered: Partial<Record<ProbeId, number>> = {};

  it('a collector killed and restarted while probes push loses no result and re-fires no alert', async () => {
    faults['/a'] = () => 'fail';
    const alert = await waitFor(() => amAlert('VendorOutage', 'cdn-a'), { what: 'VendorOutage again' }).catch((err) => {
      throw new Error(`${err.message}\n${collector.output().slice(-5000)}`);
    });
    // As instants: Alertmanager's API writes milliseconds as .120, its webhook as .12.
    await waitFor(() => paged().some((a) => a.status === 'firing' && a.labels.vendor === 'cdn-a' && Date.parse(a.startsAt) === Date.parse(alert.startsAt)), {
      what: 'second incident paged',
    });
    const hookedBefore = count(hooked(), 'firing', 'VendorOutage', 'cdn-a');
    const pagedBefore = count(paged(), 'firing', 'VendorOutage', 'cdn-a');

    await collector.stop('SIGKILL');
    // While it is gone, every probe spools; what each had delivered cannot change.
    for (const [id] of PROBES) {
      await waitFor(async () => sample(await probeMetrics(id), 'vendorwatch_push_spool_results', { collector: collectorLabel() }) > 0, {
        what: `${id} spooling`,
      });
      delivered[id] = sample(await probeMetrics(id), 'vendorwatch_push_results_total', { collector: collectorLabel(), result: 'delivered' });
    }
    collector = startCli(collectorArgs, { env: { VENDORWATCH_TOKEN: TOKEN } });
    await waitFor(async () => (await vendor('cdn-a'))?.state === 'hard_down', { what: `restarted collector judging again\n${collector.output()}` });
    for (const [id] of PROBES) {
      await waitFor(async () => sample(await probeMetrics(id), 'vendorwatch_push_spool_results', { collector: collectorLabel() }) === 0, {
        what: `${id} spool drained`,
      });
    }
    // Let a few evaluations pass: the restored alert stays as it was, unannounced.
    await new Promise((r) => setTimeout(r, 3000));
    expect(collector.output()).toContain('state restored from the journal');
    expect(count(hooked(), 'firing', 'VendorOutage', 'cdn-a')).toBe(hookedBefore);
    expect(count(paged(), 'firing', 'VendorOutage', 'cdn-a')).toBe(pagedBefore);
    expect((await amAlert('VendorOutage', 'cdn-a'))!.startsAt).toBe(alert.startsAt);

    faults['/a'] = () => 'ok';
    await waitFor(async () => !(await amAlert('VendorOutage', 'cdn-a')), { what: 'resolved after restart' });
    expect(count(hooked(), 'resolved', 'VendorOutage', 'cdn-a')).toBe(hookedBefore);
  }, 120_000);

  it('every result a probe produced reached the collector (exact accounting at shutdown)', async () => {
    const stopped = await Promise.all(
      PROBES.map(async ([id]) => {
        const { proc } = probes.get(id)!;
        expect(await proc.stop('SIGTERM')).toBe(0);
        const line = proc
          .output()
          .split('\n')
          .find((l) => l.includes('"msg":"push stopped"'));
        return [id, JSON.parse(line!) as { queued: number; delivered: number; rejected: number; dropped: number; spooled: number }] as const;
      }),
    );
    const metrics = await (await fetch(`${collectorUrl}/metrics`)).text();
    for (const [id, stats] of stopped) {
      expect(stats).toMatchObject({ rejected: 0, dropped: 0, spooled: 0 });
      expect(stats.delivered).toBe(stats.queued);
      // The restarted collector took exactly what the probe delivered after the kill: the spool and the rest.
      expect(sample(metrics, 'vendorwatch_ingest_results_total', { probe: id, result: 'accepted' })).toBe(stats.delivered - delivered[id]!);
    }
  });
});
