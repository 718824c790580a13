/**
 * Real users as evidence of their own, end to end: the lab site in real Chromium, visitors from
 * two regions, a `vendorwatch collector` process with two probe processes (eu-west, us-east)
 * checking vendor-a, and a real Alertmanager notifying a sink (each notification one page or
 * ticket, as in alert-per-incident.test.ts).
 *
 * Visitors of a region load the site under that region's host name (eu.site.test, us.site.test);
 * a small proxy in front of the collector plays the site's CDN and sets the country header from
 * the beacon's Origin, as CF-IPCountry would. vendor-a can fail for the eu-west visitors only
 * (told apart by their Referer), where the probes, which send none, see nothing wrong.
 */
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { join } from 'node:path';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBeacon } from '../../beacon/build.ts';
import { startLabSite, type LabSite } from '../../lab/site.ts';
import { startAlertmanager, startSink, type Alertmanager, type Sink } from '../support/alertmanager.ts';
import { launchChromium } from '../support/chromium.ts';
import { scrape, sum } from '../support/exposition.ts';
import { freePort, startCli, tempDir, waitFor, type Running } from '../support/processes.ts';

const TOKEN = 'rum-regions-token';
const COUNTRY_HEADER = 'x-lab-country';
/** Each region's visitors: the host name they reach the site under, and the country their CDN reports. */
const VISITORS = { 'eu-west': { host: 'eu.site.test', country: 'DE' }, 'us-east': { host: 'us.site.test', country: 'US' } } as const;
type Region = keyof typeof VISITORS;

/** Where vendor-a fails: for eu-west's visitors only, or for everyone (probes included). */
let fault: 'none' | 'eu-west visitors' | 'everyone' = 'none';

let site: LabSite;
let proxy: Server;
let sink: Sink;
let am: Alertmanager;
let collector: Running;
let collectorUrl: string;
const probes: Running[] = [];
let browser: Browser;
const contexts = new Map<Region, BrowserContext>();

interface Notified {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
}
const notified = () =>
  sink
    .bodies('/alertmanager')
    .flatMap((b) => (b as { alerts: Notified[] }).alerts)
    .filter((a) => a.labels.vendor === 'vendor-a');
const count = (alertname: string, status: Notified['status']) => notified().filter((a) => a.labels.alertname === alertname && a.status === status).length;
const identities = () => [...new Set(notified().map((a) => JSON.stringify(Object.entries(a.labels).sort())))].map((s) => Object.fromEntries(JSON.parse(s)));
const activeInAm = async () => (await am.alerts()).filter((a) => a.labels.vendor === 'vendor-a');

interface VendorView {
  name: string;
  state: string;
  conditions: { state: string; regions: string[] }[];
  realUsers: { regions: { region: string; pageViews: number; affected: number; share: number }[] } | null;
}
const vendorA = async () => {
  const body = (await (await fetch(`${collectorUrl}/v1/vendors`)).json()) as { ready: boolean; vendors: VendorView[] };
  return body.ready ? body.vendors.find((v) => v.name === 'vendor-a') : undefined;
};

/** The site's CDN in front of the collector: it says which country each beacon came from, by the page's host name. */
function startCountryProxy(target: string, port: number): Promise<Server> {
  const server = createServer(async (req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const origin = String(req.headers.origin ?? '');
    const visitor = Object.values(VISITORS).find((v) => origin.includes(`//${v.host}:`));
    const headers = Object.fromEntries(
      Object.entries(req.headers).filter(([k]) => !['host', 'connection', 'content-length', COUNTRY_HEADER].includes(k)),
    ) as Record<string, string>;
    if (visitor) headers[COUNTRY_HEADER] = visitor.country;
    const raw = Buffer.concat(chunks);
    const answer = await fetch(`${target}${req.url}`, { method: req.method, headers, body: raw.length ? raw : undefined });
    const body = Buffer.from(await answer.arrayBuffer());
    const out = Object.fromEntries([...answer.headers].filter(([k]) => !['content-encoding', 'content-length', 'transfer-encoding', 'connection'].includes(k)));
    res.writeHead(answer.status, out).end(body);
  });
  return new Promise((r) => server.listen(port, '127.0.0.1', () => r(server)));
}

/**
 * `n` page views of the stock page (it calls vendor-a's API with CORS, so its status is seen
 * whenever the beacon starts) by visitors of `region`, each sent as the visitor leaves it.
 */
async function visit(region: Region, n: number): Promise<void> {
  const page = await contexts.get(region)!.newPage();
  const before = sum(await scrape(collectorUrl), 'vendorwatch_rum_page_views_total');
  for (let i = 0; i < n; i++) {
    await page.goto(`${site.url.replace('www.site.test', VISITORS[region].host)}/stock`);
    // A page left before the beacon has its config sends nothing: wait for it, and for the API call.
    await page.waitForFunction(() => performance.getEntriesByType('resource').some((e) => e.name.endsWith('/v1/beacon/config')));
    await page.waitForFunction(() => (window as { stockChecked?: boolean }).stockChecked);
    await page.goto('about:blank');
  }
  await waitFor(async () => sum(await scrape(collectorUrl), 'vendorwatch_rum_page_views_total') >= before + n, {
    what: `${n} page views from ${region} counted`,
  });
  await page.close();
}

/** Nothing wrong any more: vendor-a operational, nothing active in Alertmanager, the resolved notification sent. */
async function recovered(alertname: string): Promise<void> {
  await waitFor(async () => (await vendorA())?.state === 'operational' && (await activeInAm()).length === 0, {
    what: 'vendor-a operational, nothing active in Alertmanager',
    timeoutMs: 90_000,
  });
  await waitFor(() => count(alertname, 'resolved') === 1, { what: `${alertname} resolved notification` });
}

beforeAll(async () => {
  await buildBeacon();
  const dir = tempDir();
  const [proxyPort, collectorPort] = [await freePort(), await freePort()];
  site = await startLabSite({
    collector: `http://127.0.0.1:${proxyPort}`,
    vendorAFails: (req) =>
      fault === 'everyone' || (fault === 'eu-west visitors' && String(req.headers.referer ?? '').includes(`//${VISITORS['eu-west'].host}:`)),
  });
  sink = await startSink();
  am = await startAlertmanager(`${sink.url}/alertmanager`);
  collectorUrl = `http://127.0.0.1:${collectorPort}`;
  const origins = Object.values(VISITORS).map((v) => site.url.replace('www.site.test', v.host));
  const config = join(dir, 'vendorwatch.yaml');
  writeFileSync(
    config,
    JSON.stringify({
      probe: { spool_dir: join(dir, 'spool'), push_interval: '500ms' },
      collector: { token: '${VENDORWATCH_TOKEN}', journal: join(dir, 'journal.jsonl'), evaluate_every: '500ms' },
      alerts: { alertmanager: { url: am.url } },
      vendors: site.vendors,
      checks: [
        // The probes fetch vendor-a's script by address, with no Referer: they are never one of the eu-west visitors.
        {
          name: 'vendor-a-app',
          vendor: 'vendor-a',
          kind: 'http',
          url: `${site.vendorA.replace('static.vendor-a.test', '127.0.0.1')}/app.js`,
          interval: '1s',
          timeout: '1s',
          consensus: { min_probes: 1 },
        },
      ],
      rum: {
        origins,
        page_groups: site.pageGroups,
        rate_limit: 10_000,
        regions: Object.fromEntries(Object.entries(VISITORS).map(([region, v]) => [region, [v.country]])),
        country: { header: COUNTRY_HEADER },
        // A short window so each scenario recovers in seconds; a few page views suffice here (the unit tests show fewer never do).
        users_impacted: { window: '15s', min_page_views: 4, share: 0.5 },
      },
    }),
  );
  const env = { VENDORWATCH_TOKEN: TOKEN };
  collector = startCli(['collector', '--config', config, '--listen', `127.0.0.1:${collectorPort}`], { env });
  await waitFor(async () => (await fetch(`${collectorUrl}/healthz`)).ok, { what: `collector up\n${collector.output()}` });
  for (const [id, region] of [
    ['p-eu', 'eu-west'],
    ['p-us', 'us-east'],
  ]) {
    const listen = `127.0.0.1:${await freePort()}`;
    probes.push(startCli(['probe', '--config', config, '--listen', listen, '--id', id!, '--region', region!, '--collector', collectorUrl], { env }));
  }
  proxy = await startCountryProxy(collectorUrl, proxyPort);
  browser = await launchChromium({ args: [`--host-resolver-rules=${site.hostResolverRules}`] });
  for (const region of Object.keys(VISITORS) as Region[]) contexts.set(region, await browser.newContext());
  await waitFor(async () => (await vendorA())?.state === 'operational', { what: 'vendor-a operational', timeoutMs: 120_000 }).catch((err: Error) => {
    throw new Error(`${err.message}\ncollector:\n${collector.output().slice(-4000)}`);
  });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await Promise.all(probes.map((p) => p.stop()));
  await collector?.stop();
  await am?.stop();
  await sink?.close();
  await new Promise((r) => proxy?.close(r));
  await site?.close();
});

describe('real users by region, in Chromium', () => {
  it('vendor-a fails for eu-west visitors only while the probes pass: users_impacted in eu-west alone, one ticket carrying the impact', async () => {
    fault = 'eu-west visitors';
    await visit('eu-west', 5);
    await visit('us-east', 5);

    // Statuses are as of the last evaluation: wait until it has taken in every page view.
    const seen = await waitFor(
      async () => {
        const v = await vendorA();
        return v?.state === 'users_impacted' && v.realUsers?.regions.every((r) => r.pageViews === 5) ? v : undefined;
      },
      { what: 'vendor-a users_impacted, every page view counted' },
    );
    expect(seen.conditions).toEqual([expect.objectContaining({ state: 'users_impacted', regions: ['eu-west'] })]);
    const [eu, us] = seen.realUsers!.regions;
    expect(eu).toMatchObject({ region: 'eu-west', pageViews: 5, affected: 5, share: 1 });
    expect(us).toMatchObject({ region: 'us-east', pageViews: 5, affected: 0, share: 0 });
    const m = await scrape(collectorUrl);
    expect(sum(m, 'vendorwatch_rum_resource_failures_total', { vendor: 'vendor-a', region: 'eu-west' })).toBeGreaterThanOrEqual(5);
    expect(sum(m, 'vendorwatch_rum_resource_failures_total', { vendor: 'vendor-a', region: 'us-east' })).toBe(0);
    expect(sum(m, 'vendorwatch_vendor_state', { vendor: 'vendor-a', state: 'users_impacted' })).toBe(1);
    expect(sum(m, 'vendorwatch_vendor_region_state', { vendor: 'vendor-a', region: 'eu-west', state: 'users_impacted' })).toBe(1);
    expect(sum(m, 'vendorwatch_vendor_region_state', { vendor: 'vendor-a', region: 'us-east', state: 'users_impacted' })).toBe(0);

    const [alert] = await waitFor(async () => ((await activeInAm()).length ? activeInAm() : undefined), { what: 'the ticket in Alertmanager' });
    expect(alert!.labels).toEqual({ alertname: 'VendorImpaired', vendor: 'vendor-a', severity: 'ticket' });
    expect(alert!.annotations).toMatchObject({
      state: 'users_impacted',
      regions: 'eu-west',
      sources: 'only real users see it; the probes do not',
      first_seen_by: 'real_users',
    });
    // As the alert fired: once min_page_views (4) of the 5 page views were in.
    expect(alert!.annotations.real_users).toMatch(
      /^real users: 100% of [45] page views in eu-west had a vendor-a resource fail or take over 3s in the last 15s$/,
    );
    expect(alert!.annotations.summary).toMatch(
      /^vendor-a is FAILING REAL USERS in eu-west: 100% of [45] page views in eu-west had .* Probes see nothing wrong there \(1 of 1 votes pass\), since /,
    );
    console.log(`alert as received:\n${alert!.annotations.summary}\n${alert!.annotations.real_users}`);

    fault = 'none';
    await recovered('VendorImpaired');
    expect(identities()).toEqual([{ alertname: 'VendorImpaired', severity: 'ticket', vendor: 'vendor-a' }]);
    expect(count('VendorImpaired', 'firing')).toBe(1);
    const incident = ((await (await fetch(`${collectorUrl}/v1/incidents?vendor=vendor-a`)).json()) as { incidents: Record<string, unknown>[] }).incidents[0]!;
    expect(incident).toMatchObject({
      worst: 'users_impacted',
      regions: ['eu-west'],
      realUsers: { peakShare: 1, peakRegion: 'eu-west', firstSeenBy: 'real_users' },
    });
  }, 180_000);

  it('probes and real users both see an outage: one page, whose annotations quote both', async () => {
    fault = 'everyone';
    await waitFor(async () => (await vendorA())?.state === 'hard_down', { what: 'vendor-a hard down by the probes' });
    await visit('eu-west', 4);
    await visit('us-east', 4);
    const [alert] = await waitFor(
      async () => {
        const active = await activeInAm();
        return active.some((a) => a.annotations.sources === 'probes and real users agree') ? active : undefined;
      },
      { what: 'the page quoting both probes and real users' },
    );
    expect(alert!.labels).toEqual({ alertname: 'VendorOutage', vendor: 'vendor-a', severity: 'page' });
    expect(alert!.annotations).toMatchObject({ state: 'hard_down', first_seen_by: 'probes' });
    expect(alert!.annotations.real_users).toMatch(
      /^real users: 100% of 4 page views in (eu-west|us-east) had a vendor-a resource fail or take over 3s in the last 15s$/,
    );
    expect(alert!.annotations.summary).toMatch(/^vendor-a is HARD DOWN/);
    console.log(`alert as received:\n${alert!.annotations.summary}\n${alert!.annotations.real_users}; ${alert!.annotations.sources}`);

    fault = 'none';
    await recovered('VendorOutage');
    // This incident: one page, fired once and resolved once; no ticket beside it.
    expect(identities()).toEqual([
      { alertname: 'VendorImpaired', severity: 'ticket', vendor: 'vendor-a' },
      { alertname: 'VendorOutage', severity: 'page', vendor: 'vendor-a' },
    ]);
    expect(count('VendorOutage', 'firing')).toBe(1);
    expect(count('VendorImpaired', 'firing')).toBe(1);
  }, 180_000);
});
