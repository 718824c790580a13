/**
 * The demo's lab vendors on their own, read by the real checks: the Node caching edge (per-POP
 * caches, busting, a slow origin hidden by the cache, faults per region and per probe), the
 * payment vendor's configuration and reporting APIs, and the DNS providers' zone serial.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dnsDetailsSchema } from '../../config/checks/dns.ts';
import { startCdnEdge, type CdnEdge } from '../../lab/cdn-edge.ts';
import { startCdnOrigin, type CdnOrigin } from '../../lab/cdn-origin.ts';
import { startDnsFaultServer, type DnsFaultServer } from '../../lab/dns-faults.ts';
import { startShop, type Shop } from '../../lab/shop.ts';
import { runDns } from '../support/dns.ts';
import { labVendors, runHttp } from '../support/http.ts';
import { runCli } from '../support/processes.ts';

let origin: CdnOrigin;
let edge: CdnEdge;
let shop: Shop;
let dns: DnsFaultServer;

const vendors = [...labVendors, { name: 'edgeco', kind: 'cdn' as const, hosts: [], identify: { header: 'server-timing', match: 'cdn;desc=edgeco' } }];
/** A request as a probe in `region` sends it (the lab tells probes apart by User-Agent). */
const asProbe = (url: string, probe: string, region: string) => fetch(url, { headers: { 'user-agent': `vendorwatch/0.1 (probe ${probe}; region ${region})` } });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  origin = await startCdnOrigin({ name: 'edgeco-origin' });
  edge = await startCdnEdge({ origin: origin.url });
  shop = await startShop();
  dns = await startDnsFaultServer({ answer: '192.0.2.10', serial: 7 });
});

afterAll(async () => {
  await Promise.all([edge?.close(), origin?.close(), shop?.close(), dns?.close()]);
});

describe('the lab CDN edge', () => {
  it('misses, then hits, and names itself and its POP to the http check', async () => {
    const first = await runHttp({ url: `${edge.url}/static/app.js`, pop_headers: [{ header: 'x-edge-pop' }] }, vendors);
    expect(first.details).toMatchObject({ status: 200, cache: 'miss', cache_source: 'cache-status', edge: { cdn: 'edgeco', pop: 'lab' } });
    const second = await runHttp({ url: `${edge.url}/static/app.js`, expect: { cache: 'hit' } }, vendors);
    expect(second).toMatchObject({ ok: true, details: { cache: 'hit' } });
  });

  it('keeps one cache per POP: a region asks the origin once, then hits', async () => {
    const before = origin.requests.length;
    const statuses = [];
    for (let i = 0; i < 2; i++) statuses.push((await asProbe(`${edge.url}/static/style.css`, 'us-1', 'us-east')).headers.get('cache-status'));
    expect(statuses).toEqual(['edgeco; fwd=miss', 'edgeco; hit']);
    expect(origin.requests.slice(before)).toEqual(['/static/style.css']);
  });

  it('hides a slow origin behind the cache; a busted request waits for it', async () => {
    await runHttp({ url: `${edge.url}/static/logo.png` });
    origin.setDelay(300);
    try {
      const cached = await runHttp({ url: `${edge.url}/static/logo.png`, expect: { cache: 'hit', latency: { total: '5s' } } });
      expect(cached).toMatchObject({ ok: true, degraded: false });
      const busted = await runHttp({ url: `${edge.url}/static/logo.png`, bust: true, expect: { latency: { total: '200ms' } } });
      expect(busted).toMatchObject({ ok: true, degraded: true, details: { cache: 'miss' } });
    } finally {
      origin.setDelay(0);
    }
  });

  it('passes what a shared cache must not keep, and POSTs, to the origin every time', async () => {
    const before = origin.requests.length;
    for (let i = 0; i < 2; i++) expect((await fetch(`${edge.url}/uncacheable`)).headers.get('cache-status')).toBe('edgeco; fwd=uri-miss');
    expect((await fetch(`${edge.url}/static/app.js`, { method: 'POST' })).headers.get('cache-status')).toBe('edgeco; fwd=method');
    expect(origin.requests.length - before).toBe(3);
  });

  it('fails one region (503) or one probe (reset), and nobody else', async () => {
    edge.faults.set({ region: 'eu-west' }, 'unavailable');
    edge.faults.set({ probe: 'ap-1' }, 'reset');
    try {
      expect((await asProbe(`${edge.url}/`, 'eu-1', 'eu-west')).status).toBe(503);
      await expect(asProbe(`${edge.url}/`, 'ap-1', 'ap-south')).rejects.toThrow();
      expect((await asProbe(`${edge.url}/`, 'ap-2', 'ap-south')).status).toBe(200);
      expect((await asProbe(`${edge.url}/`, 'us-1', 'us-east')).status).toBe(200);
      expect((await fetch(`${edge.url}/`)).status).toBe(200);
    } finally {
      edge.faults.clear({ region: 'eu-west' });
      edge.faults.clear({ probe: 'ap-1' });
    }
    expect((await asProbe(`${edge.url}/`, 'eu-1', 'eu-west')).status).toBe(200);
  });

  it('answers 502 when the origin is gone, without crashing', async () => {
    const lonely = await startCdnEdge({ origin: 'http://127.0.0.1:9' });
    try {
      const res = await fetch(`${lonely.url}/static/app.js`);
      expect(res.status).toBe(502);
      expect(await res.text()).toMatch(/edgeco could not reach the origin/);
    } finally {
      await lonely.close();
    }
  });
});

describe('the lab payment vendor beyond charges', () => {
  it('has a configuration API that can go down while charges still work', async () => {
    const settings = { url: `${shop.paymentUrl}/v1/account/settings`, expect: { json: [{ path: 'account' }] } };
    const charge = { url: `${shop.paymentUrl}/v1/charges`, method: 'POST', body: '{"amount":1}', expect: { status: 201 } };
    expect((await runHttp(settings)).ok).toBe(true);
    shop.setApiFaults({ settings: 'down' });
    try {
      expect(await runHttp(settings)).toMatchObject({ ok: false, reason: 'http_status' });
      expect((await runHttp(charge)).ok).toBe(true);
    } finally {
      shop.setApiFaults({ settings: 'ok' });
    }
    expect((await runHttp(settings)).ok).toBe(true);
  });

  it('has a reporting API whose data goes stale while it still answers 200', async () => {
    const reports = { url: `${shop.paymentUrl}/v1/reports/latest`, expect: { json: [{ path: 'generated_at', not_older_than: '1s' }] } };
    expect((await runHttp(reports)).ok).toBe(true);
    shop.setApiFaults({ reports: 'stale' });
    try {
      await sleep(1500);
      expect(await runHttp(reports)).toMatchObject({ ok: false, reason: 'assertion', details: { status: 200 } });
    } finally {
      shop.setApiFaults({ reports: 'fresh' });
    }
    expect((await runHttp(reports)).ok).toBe(true);
  });

  it('fails for one probe only', async () => {
    shop.probeFaults.set({ probe: 'eu-2' }, 'unavailable');
    try {
      expect((await asProbe(`${shop.paymentUrl}/v1/account/settings`, 'eu-2', 'eu-west')).status).toBe(503);
      expect((await asProbe(`${shop.paymentUrl}/v1/account/settings`, 'eu-1', 'eu-west')).status).toBe(200);
    } finally {
      shop.probeFaults.clear({ probe: 'eu-2' });
    }
  });
});

describe('the lab DNS provider', () => {
  it('serves the serial it is given', async () => {
    const serial = async () => {
      const result = await runDns({ query: { name: 'demo.test', type: 'SOA' }, nameservers: [dns.address], consistency: { serial: false } });
      return dnsDetailsSchema.parse(result.details).nameservers[0]!.serial;
    };
    expect(await serial()).toBe(7);
    dns.setZone({ serial: 8 });
    expect(await serial()).toBe(8);
  });
});

describe('vendorwatch demo, given bad options', () => {
  it('names the mistake and exits 2 before starting anything', async () => {
    const steps = await runCli(['demo', '--scenario', 'slow-origin,nope']);
    expect(steps).toMatchObject({ code: 2, stdout: '' });
    expect(steps.stderr).toMatch(/^unknown scenario step\(s\): nope \(steps: cdn-regional-outage, slow-origin, .*bad-probe\)/);
    const typo = await runCli(['demo', '--scenario', 'bad-prob']);
    expect(typo).toMatchObject({ code: 2, stdout: '' });
    expect(typo.stderr).toMatch(/^unknown scenario step\(s\): bad-prob \(did you mean "bad-probe"\?\) \(steps: /);
    const listen = await runCli(['demo', '--listen', 'nonsense']);
    expect(listen).toMatchObject({ code: 2, stderr: 'vendorwatch: --listen "nonsense": expected HOST:PORT, e.g. 0.0.0.0:9797 or [::1]:9797\n' });
    const variable = await runCli(['demo'], { env: { VW_DEMO_COLLECTOR: 'nonsense' } });
    expect(variable).toMatchObject({
      code: 2,
      stderr: `the collector's address "nonsense" (--listen or VW_DEMO_COLLECTOR) is not HOST:PORT, e.g. 127.0.0.1:19797\n`,
    });
    const speed = await runCli(['demo', '--speed', 'fast']);
    expect(speed).toMatchObject({ code: 2, stderr: '--speed expects a number above 0 and at most 100, got NaN\n' });
  });
});
