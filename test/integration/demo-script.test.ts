/**
 * `vendorwatch demo` as a newcomer runs it (sped up): its lab, four probe processes and a
 * collector process, the whole script of faults, alerts to the console and to a real
 * Alertmanager, then Ctrl-C (SIGINT). The edge's usual port is taken first, so the demo has to
 * move it and tell the processes.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAlertmanager, startSink, type Alertmanager, type Sink } from '../support/alertmanager.ts';
import { launchChromium } from '../support/chromium.ts';
import { scrape, sum } from '../support/exposition.ts';
import { ROOT, startCli, tempDir, waitFor, type Running } from '../support/processes.ts';

const dir = tempDir('vendorwatch-demo-test-');
let sink: Sink;
let am: Alertmanager;
let demo: Running;
let collectorUrl: string;
let squatter: Server | undefined;
/** The edge's port in config/demo.yaml. */
const EDGE_PORT = Number(/VW_DEMO_EDGE:-127\.0\.0\.1:(\d+)/.exec(readFileSync(join(ROOT, 'config/demo.yaml'), 'utf8'))![1]);

/** Lines the demo printed, without colour codes (it prints none when not on a terminal). */
const lines = () => demo.output().split('\n');

beforeAll(async () => {
  // Taken by us, or by a demo someone is running: either way the demo must go elsewhere.
  squatter = await new Promise<Server | undefined>((done) => {
    const server = createServer().once('error', () => done(undefined));
    server.listen(EDGE_PORT, '127.0.0.1', () => done(server));
  });
  sink = await startSink();
  am = await startAlertmanager(`${sink.url}/alertmanager`);
  demo = startCli(['demo', '--speed', '10', '--dir', dir, '--alertmanager', am.url]);
  collectorUrl = await waitFor(() => /collector\s+(http:\/\/127\.0\.0\.1:\d+)\//.exec(demo.output())?.[1], { what: `the collector's URL\n${demo.output()}` });
  await waitFor(async () => (await fetch(`${collectorUrl}/healthz`)).ok, { what: `the collector up\n${demo.output()}` });
}, 60_000);

afterAll(async () => {
  // SIGTERM, so the demo takes its probe and collector processes along (SIGKILL after 10 s).
  await demo?.stop();
  await new Promise((done) => (squatter ? squatter.close(done) : done(undefined)));
  await am?.stop();
  await sink?.close();
});

describe('vendorwatch demo', () => {
  // While the script plays in the background.
  it("carries the beacon on the shop's pages: a visit in Chromium shows in the collector's RUM metrics, edgeco's assets attributed to it", async () => {
    const shopUrl = /shop\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(demo.output())![1]!;
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(shopUrl);
      // The beacon sends nothing before it has its config; then leaving the page sends the view.
      await page.waitForFunction(() => performance.getEntriesByType('resource').some((e) => e.name.endsWith('/v1/beacon/config')));
      await page.goto('about:blank');
      const samples = await waitFor(
        async () => {
          const m = await scrape(collectorUrl);
          return sum(m, 'vendorwatch_rum_page_views_total', { page_group: 'sign-in' }) >= 1 ? m : undefined;
        },
        { what: 'the page view in the collector' },
      );
      expect(sum(samples, 'vendorwatch_rum_resources_total', { vendor: 'edgeco' })).toBeGreaterThanOrEqual(2);
      expect(sum(samples, 'vendorwatch_rum_beacons_total', { result: 'rejected' })).toBe(0);
    } finally {
      await browser.close();
    }
  });

  it('plays the whole script: every vendor state is reached, and recovers', async () => {
    await waitFor(() => demo.output().includes('The script is over'), { timeoutMs: 180_000, everyMs: 1000, what: `the end of the script\n${demo.output()}` });
    const out = demo.output();
    expect(out).not.toMatch(/not seen within|not recovered within|exited unexpectedly/);
    expect(out).toContain(`port ${EDGE_PORT} (edge) is busy; using a free one`);
    expect(out).not.toContain(`edgeco edge http://127.0.0.1:${EDGE_PORT} `);

    // The terminal showed each state as it happened: "edgeco  operational → regional_outage  eu-west  2 of 2 probes fail …".
    const reached = new Set(lines().flatMap((l) => /^\d\d:\d\d:\d\d\s+[a-z-]+\s+\S+ → (\S+)/.exec(l)?.[1] ?? []));
    for (const state of ['hard_down', 'regional_outage', 'degraded', 'api_down', 'limited_visibility', 'operational']) expect(reached, out).toContain(state);
    expect(out).toMatch(/edgeco\s+operational → regional_outage\s+eu-west\s+2 of 2 probes fail edge-(home|origin-path)/);
    expect(out).toMatch(/dns-beta\s+operational → api_down\s+\S+\s+\d of \d probes fail zone-sync in the response \(inconsistent\)/);
    expect(out).toMatch(/probe eu-2\s+up → unhealthy\s+eu-west/);
    expect(out).toContain('no vendor was blamed meanwhile');

    // The collector agrees: each problem is an incident, closed by now, and every vendor is operational again.
    const { incidents } = (await (await fetch(`${collectorUrl}/v1/incidents`)).json()) as {
      incidents: { vendor: string; worst: string; end: number | null }[];
    };
    const worst = new Set(incidents.map((i) => `${i.vendor} ${i.worst}`));
    for (const expected of ['payco hard_down', 'edgeco regional_outage', 'edgeco degraded', 'dns-beta api_down', 'payco api_down', 'payco limited_visibility'])
      expect(worst).toContain(expected);
    expect(incidents.every((i) => i.end !== null)).toBe(true);
    const { vendors } = (await (await fetch(`${collectorUrl}/v1/vendors`)).json()) as { vendors: { name: string; state: string }[] };
    expect(vendors.map((v) => v.state)).toEqual(['operational', 'operational', 'operational', 'operational']);

    // The status page tells the same story: recent incidents, and payco's own page saying all is well.
    const page = (await (await fetch(`${collectorUrl}/`)).text()).replace(/<[^>]+>/g, '').replace(/\s+/g, ' ');
    for (const seen of ['payco hard down', 'edgeco regional outage in eu-west', 'dns-beta API down', 'payco limited visibility', 'All Systems Operational'])
      expect(page).toContain(seen);
  }, 190_000);

  it('sent alerts to the console receiver and to Alertmanager: one page per paging fault', async () => {
    const out = demo.output();
    expect(out).toMatch(/ALERT firing\s+VendorOutage\s+edgeco has a REGIONAL OUTAGE in eu-west/);
    expect(out).toMatch(/ALERT firing\s+ProbeUnhealthy\s+Probe eu-2 in eu-west is UNHEALTHY/);
    expect(out).toMatch(/ALERT resolved\s+VendorOutage\s+Resolved: edgeco had a regional outage in eu-west for \d+s/);
    expect(out).toMatch(/ALERT firing\s+VendorOutage\s+payco (is HARD DOWN|has a REGIONAL OUTAGE)/);
    // Seven faults, two of them paging (edgeco's regional outage, payco's outage): one page each, and no other page.
    expect(out).toMatch(/The script is over after \d+ s\. Notifications: 2 pages \(VendorOutage (edgeco|payco), VendorOutage (edgeco|payco)\), \d+ tickets/);
    expect(out).not.toMatch(/VendorFlapping/);
    const notified = await waitFor(
      () =>
        sink
          .bodies('/alertmanager')
          .flatMap((b) => (b as { alerts: { status: string; labels: Record<string, string> }[] }).alerts)
          .find((a) => a.labels.vendor === 'edgeco'),
      { what: 'an edgeco notification from Alertmanager' },
    );
    expect(notified.labels).toEqual({ alertname: 'VendorOutage', vendor: 'edgeco', severity: 'page' });
  });

  it('stops cleanly on SIGINT: probes, collector and lab go away, exit 0', async () => {
    const code = await demo.stop('SIGINT');
    expect(code, demo.output()).toBe(0);
    expect(demo.output()).toMatch(/Stopped\. \d+ alert notifications were printed/);
    await expect(fetch(`${collectorUrl}/healthz`)).rejects.toThrow();
    // Every probe said goodbye after delivering what it had.
    for (const id of ['eu-1', 'eu-2', 'us-1', 'ap-1']) expect(readFileSync(join(dir, `probe-${id}.log`), 'utf8')).toContain('"msg":"push stopped"');
  });
});
