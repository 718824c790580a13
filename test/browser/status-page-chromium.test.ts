/**
 * The status page of a real `vendorwatch collector` process, fed by results pushed over HTTP as
 * four probes in two regions would, opened in real Chromium: states, the vendor × region grid,
 * every probe's vote, incidents, probe health, real-user numbers from a beacon, and what each
 * vendor's own status page says, from a Statuspage stub (a tiny local server is a real vendor
 * status page here), one vendor whose status page refuses connections and one that never answers.
 * A JavaScript-off phone-sized context renders the same page. Screenshots are kept in
 * test-artifacts/ for a human to look at.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckResult } from '../../config/result.ts';
import { launchChromium } from '../support/chromium.ts';
import { freePort, ROOT, startCli, tempDir, waitFor, type Running } from '../support/processes.ts';
import { FOUR_PROBES } from '../support/probes.ts';

const TOKEN = 'status-page-token';
const SITE = 'https://shop.example';
const ARTIFACTS = join(ROOT, 'test-artifacts');
const PROBES = FOUR_PROBES;
const HOSTILE = '<script>document.title="pwned"</script><img src=x onerror=alert(1)> upstream said <b>502</b>';

let vendorPages: Server;
let collector: Running;
let url: string;
let browser: Browser;
let pusher: NodeJS.Timeout;
/** What each (check, probe) reports on the next push: ok, or the failure message. */
let outcome: (check: string, probe: string) => { ok: boolean; message: string; reason: CheckResult['reason'] };

function result(check: string, vendor: string, role: CheckResult['role'], [probe, region]: (typeof PROBES)[number]): CheckResult {
  const o = outcome(check, probe);
  return {
    id: randomUUID(),
    check,
    vendor,
    kind: 'http',
    role,
    probe,
    region,
    startedAt: Date.now(),
    ok: o.ok,
    degraded: false,
    reason: o.reason,
    message: o.message,
    phases: o.ok ? { connect: 0.004, ttfb: 0.08, total: 0.095 } : { connect: 0.004 },
    assertions: [],
    details: {},
  };
}

async function push(): Promise<void> {
  const checks = [
    ['acme-js', 'acme-cdn', 'delivery'],
    ['payco-api', 'payco', 'delivery'],
    ['payco-admin', 'payco', 'control'],
    ['dnsco-soa', 'dnsco', 'delivery'],
  ] as const;
  const results = checks.flatMap(([check, vendor, role]) => PROBES.map((p) => result(check, vendor, role, p)));
  const res = await fetch(`${url}/v1/results`, {
    method: 'POST',
    body: JSON.stringify({ results }),
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
  });
  if (!res.ok) throw new Error(`push answered ${res.status}: ${await res.text()}`);
}

const ok = { ok: true, message: 'HTTP 200', reason: 'ok' as const };

async function vendors(): Promise<Record<string, string>> {
  const body = (await (await fetch(`${url}/v1/vendors`)).json()) as { vendors: { name: string; state: string }[] };
  return Object.fromEntries(body.vendors.map((v) => [v.name, v.state]));
}

async function untilStates(want: Record<string, string>): Promise<void> {
  await waitFor(
    async () => {
      const now = await vendors();
      return Object.entries(want).every(([v, s]) => now[v] === s);
    },
    { what: `states ${JSON.stringify(want)}`, timeoutMs: 45_000 },
  );
}

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  // The vendors' own status pages: acme answers like Statuspage, dnsco never answers.
  vendorPages = createServer((req, res) => {
    if (req.url === '/acme/api/v2/status.json') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ page: { id: 'x', name: 'Acme' }, status: { indicator: 'minor', description: 'Degraded performance in Europe' } }));
    }
    // anything else: hold the request open until the collector gives up
  });
  await new Promise<void>((r) => vendorPages.listen(0, '127.0.0.1', r));
  const pages = `http://127.0.0.1:${(vendorPages.address() as { port: number }).port}`;
  const refused = `http://127.0.0.1:${await freePort()}`;

  const dir = tempDir('vendorwatch-status-page-');
  const config = join(dir, 'vendorwatch.yaml');
  writeFileSync(
    config,
    `collector:
  token: ${TOKEN}
  journal: ${JSON.stringify(join(dir, 'journal.jsonl'))}
  evaluate_every: 250ms
  status_page: { refresh: 30s, vendor_status_every: 1s, vendor_status_timeout: 1s }
consensus: { min_probes: 2, window: 4s }
rum: { origins: ["${SITE}"] }
vendors:
  - name: acme-cdn
    kind: cdn
    hosts: ["static.acme.test"]
    sla: { availability: 99.9, latency_p95_ms: 300 }
    runbook: https://wiki.example.com/runbooks/acme-cdn
    status_page: ${pages}/acme/api/v2/status.json
  - { name: payco, kind: payment, status_page: "${refused}/" }
  - { name: dnsco, kind: dns, status_page: "${pages}/hang/" }
checks:
  - { name: acme-js, vendor: acme-cdn, kind: http, url: "http://static.acme.test/app.js", interval: 1s, timeout: 1s }
  - { name: payco-api, vendor: payco, kind: http, url: "http://api.payco.test/", interval: 1s, timeout: 1s }
  - { name: payco-admin, vendor: payco, role: control, kind: http, url: "http://admin.payco.test/", interval: 1s, timeout: 1s }
  - { name: dnsco-soa, vendor: dnsco, kind: http, url: "http://dns.test/", interval: 1s, timeout: 1s }
`,
  );
  const listen = `127.0.0.1:${await freePort()}`;
  url = `http://${listen}`;
  collector = startCli(['collector', '--config', config, '--listen', listen]);
  await waitFor(async () => (await fetch(`${url}/healthz`)).ok, { what: `collector up\n${collector.output()}` });

  // First payco is down everywhere, and recovers: a closed incident.
  outcome = (check) => (check === 'payco-api' ? { ok: false, message: 'HTTP 503, expected 200-399', reason: 'http_status' } : ok);
  pusher = setInterval(() => void push().catch(() => {}), 400);
  await untilStates({ payco: 'hard_down', 'acme-cdn': 'operational' });
  // Then acme fails in eu (with a hostile message), payco's admin API fails on eu-1 alone.
  outcome = (check, probe) => {
    if (check === 'acme-js' && probe.startsWith('eu')) return { ok: false, message: HOSTILE, reason: 'timeout' };
    if (check === 'payco-admin' && probe === 'eu-1') return { ok: false, message: 'connect ECONNREFUSED 192.0.2.7:443', reason: 'connect' };
    return ok;
  };
  await untilStates({ payco: 'operational', 'acme-cdn': 'regional_outage', dnsco: 'operational' });

  // A page view's beacon: acme served 10 resources, one failed.
  const beacon = {
    v: 1,
    nav: '0123456789abcdef',
    seq: 0,
    type: 'navigate',
    group: 'other',
    lost: 0,
    resources: {
      'acme-cdn': {
        count: 10,
        bytes: 50_000,
        cacheHits: 2,
        failed: 1,
        noTimingAllowOrigin: 0,
        protocols: { h2: 10 },
        samples: Array.from({ length: 10 }, (_, i) => ['script', 'miss', 40 + i * 20]),
      },
    },
  };
  const sent = await fetch(`${url}/v1/beacon`, { method: 'POST', body: JSON.stringify(beacon), headers: { origin: SITE, 'content-type': 'text/plain' } });
  expect(sent.status).toBe(204);
  browser = await launchChromium();
});

afterAll(async () => {
  clearInterval(pusher);
  await browser?.close();
  await collector?.stop();
  vendorPages?.closeAllConnections();
  await new Promise<void>((r) => (vendorPages ? vendorPages.close(() => r()) : r()));
});

/** Opens the status page once the vendors' status pages have been asked (and have failed) at least once. */
async function open(p: Page): Promise<void> {
  await waitFor(
    async () => {
      const text = await (await fetch(url)).text();
      return text.includes('Degraded performance in Europe') && (text.match(/unreachable/g) ?? []).length >= 2;
    },
    { what: 'vendor status pages polled' },
  );
  const res = await p.goto(url);
  expect(res?.status()).toBe(200);
  expect(res?.headers()['content-type']).toBe('text/html; charset=utf-8');
}

describe('the status page in Chromium', () => {
  it('shows each vendor’s state, since when and why, beside what the vendor says', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await open(page);
    expect(await page.title()).toBe('1 vendor in trouble · vendorwatch');
    await expect.poll(() => page.locator('.summary').innerText()).toContain('1 of 3 vendors in trouble: acme-cdn regional outage in eu.');

    const acme = page.locator('#vendor-acme-cdn');
    expect(await acme.locator('.badge').first().innerText()).toBe('regional outage');
    expect(await acme.locator('.since').innerText()).toMatch(/^regional outage in eu since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(/);
    const why = await acme.locator('.why').innerText();
    expect(why).toContain('acme-cdn has a REGIONAL OUTAGE in eu: delivery fails there but works in us.');
    expect(why).toContain('2 of 2 probes fail acme-js at ttfb (timeout)');
    // What the vendor says, beside what we measure
    expect(await acme.locator('.facts').innerText()).toMatch(/Vendor says\s+Degraded performance in Europe \(minor incident, /);
    expect(await acme.locator('.facts').innerText()).toMatch(
      /Real users\s+10 resources in the last \d+s: 10\.0% failed, 20\.0% from the browser cache, p75 load \d+ ms/,
    );
    expect(await acme.locator('a', { hasText: 'runbook' }).getAttribute('href')).toBe('https://wiki.example.com/runbooks/acme-cdn');
    // A vendor whose page refuses connections, and one that never answers: unreachable, page not held up
    expect(await page.locator('#vendor-payco .facts').innerText()).toMatch(/Vendor says\s+unreachable: .*ECONNREFUSED/);
    expect(await page.locator('#vendor-dnsco .facts').innerText()).toMatch(/Vendor says\s+unreachable: no answer within 1000 ms/);
    // Problem vendors come first
    expect(await page.locator('article.vendor h2').evaluateAll((hs) => hs.map((h) => h.firstChild?.textContent?.trim()))).toEqual([
      'acme-cdn',
      'dnsco',
      'payco',
    ]);

    await page.screenshot({ path: join(ARTIFACTS, 'status-page.png'), fullPage: true });
    await page.close();
  });

  it('shows a vendor × region grid', async () => {
    const page = await browser.newPage();
    await open(page);
    const grid = await page.locator('table.grid').evaluate((t: HTMLTableElement) => [...t.rows].map((r) => [...r.cells].map((c) => c.textContent?.trim())));
    expect(grid).toEqual([
      ['vendor', 'eu', 'us'],
      ['acme-cdn', 'down', 'operational'],
      ['dnsco', 'operational', 'operational'],
      ['payco', 'operational', 'operational'],
    ]);
    await page.close();
  });

  it('shows every probe’s vote per check and region, so a lone failing probe stands out', async () => {
    const page = await browser.newPage();
    await open(page);
    const rows = page.locator('#checks-payco + .scroll table.checks tbody tr');
    const admin = rows.filter({ hasText: 'payco-admin' }).first();
    expect(await admin.locator('td').nth(1).innerText()).toBe('passing 1 of 2 fail');
    const votes = await admin.locator('.vote').allInnerTexts();
    expect(votes[0]).toMatch(/^eu-1 ✗ at connect · .*\nconnect ECONNREFUSED 192\.0\.2\.7:443$/);
    expect(votes[1]).toMatch(/^eu-2 ✓ 95 ms · /);
    const acmeEu = page.locator('#checks-acme-cdn + .scroll table.checks tbody tr').first();
    expect(await acmeEu.locator('td').nth(1).innerText()).toBe('failing 2 of 2 fail');
    await page.close();
  });

  it('shows open and recent incidents with their evidence, and probe health', async () => {
    const page = await browser.newPage();
    await open(page);
    const incidents = page.locator('#incidents article.incident');
    expect(await incidents.count()).toBe(2);
    const ongoing = incidents.filter({ has: page.locator('h3', { hasText: 'acme-cdn' }) });
    expect(await ongoing.getAttribute('class')).toBe('incident open');
    expect(await ongoing.locator('pre').innerText()).toMatch(/^acme-js in eu: failing, 2 of 2 fail: eu-\d ✗ timeout at ttfb, eu-\d ✗ timeout at ttfb$/);
    const closed = incidents.filter({ has: page.locator('h3', { hasText: 'payco' }) });
    expect(await closed.locator('.badge').innerText()).toBe('hard down');
    expect(await closed.locator('.since').innerText()).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC → \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(\d+s\)$/);
    // A closed incident's evidence is folded away (details), still in the page.
    expect(await closed.locator('details').getAttribute('open')).toBeNull();
    expect(await closed.locator('pre').textContent()).toContain('payco-api in eu: failing, 2 of 2 fail');

    const probes = await page.locator('#probes tbody tr').allInnerTexts();
    expect(probes.map((p) => p.split('\t').slice(0, 2).join(' '))).toEqual(['eu-1 eu', 'eu-2 eu', 'us-1 us', 'us-2 us']);
    expect(probes[0]).toContain('alone fails payco-admin');
    for (const p of probes) expect(p).toMatch(/\bup since /);
    await page.close();
  });

  it('escapes what probes report: a hostile failure message is shown as text', async () => {
    const page = await browser.newPage();
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await open(page);
    // The page's own live-update script in the head is the only script.
    expect(await page.locator('script').count()).toBe(1);
    expect(await page.locator('body script, img, b:text("502")').count()).toBe(0);
    expect(await page.locator('#checks-acme-cdn + .scroll .vote.bad').first().innerText()).toContain(HOSTILE);
    expect(await page.title()).not.toBe('pwned');
    expect(dialogs).toEqual([]);
    await page.close();
  });

  it('renders with JavaScript off on a phone, without sideways scrolling of the page', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true });
    const page = await context.newPage();
    await open(page);
    expect(await page.locator('#vendor-acme-cdn .badge').first().innerText()).toBe('regional outage');
    expect(await page.locator('table.grid td.s-hard_down').innerText()).toBe('down');
    expect(await page.locator('meta[http-equiv="refresh"]').getAttribute('content')).toBe('30');
    // Wide tables scroll inside their own box; the page itself fits the screen.
    const body = await page.locator('body').boundingBox();
    expect(body!.width).toBeLessThanOrEqual(390);
    for (const box of await page.locator('section, article').all()) expect((await box.boundingBox())!.width).toBeLessThanOrEqual(390);
    // What the phone shows first, and the checks further down.
    await page.screenshot({ path: join(ARTIFACTS, 'status-page-phone.png') });
    await page.locator('#checks').screenshot({ path: join(ARTIFACTS, 'status-page-phone-checks.png') });
    await context.close();
  });
});

/** Console errors (a CSP refusal among them) and requests that leave loopback, seen by a page. */
function watch(page: Page): { errors: string[]; external: string[] } {
  const seen = { errors: [] as string[], external: [] as string[] };
  page.on('console', (m) => m.type() === 'error' && seen.errors.push(m.text()));
  page.on('pageerror', (e) => seen.errors.push(e.message));
  page.on('request', (r) => new URL(r.url()).hostname !== '127.0.0.1' && seen.external.push(r.url()));
  return seen;
}

describe('the status page’s pictures, with an incident open', () => {
  for (const [name, viewport] of [
    ['desktop', { width: 1280, height: 900 }],
    ['phone', { width: 390, height: 844 }],
  ] as const) {
    it(`shows the open incident first, then each vendor’s 24 h strip and latency chart (${name})`, async () => {
      const context = await browser.newContext({ viewport, isMobile: name === 'phone' });
      const page = await context.newPage();
      const seen = watch(page);
      await open(page);
      // The open incident is the first thing under the summary, on the first screen.
      const incident = page.locator('#incidents article.incident.open');
      await expect.poll(() => incident.locator('h3').innerText()).toMatch(/acme-cdn regional outage in eu$/);
      expect(await incident.locator('.since').innerText()).toMatch(/^open since .* so far/);
      const box = (await incident.boundingBox())!;
      expect(box.y + 20).toBeLessThan(viewport.height);
      expect(box.y).toBeLessThan((await page.locator('#vendors').boundingBox())!.y);

      const acme = page.locator('#vendor-acme-cdn');
      const strip = acme.locator('figure.strip svg');
      expect(await strip.isVisible()).toBe(true);
      expect(await strip.locator('rect').count()).toBe(24);
      // The current hour holds the outage; hours before the collector started have no data (a test
      // that starts just before an hour ends sees two hours with data).
      const classes = await strip.locator('rect').evaluateAll((rs) => rs.map((r) => r.getAttribute('class')));
      expect(classes.at(-1)).toBe('s-regional_outage');
      expect(classes.slice(0, 22)).toEqual(Array(22).fill('nodata'));
      expect(await strip.locator('rect title').last().textContent()).toMatch(/UTC: regional outage$/);
      const chart = acme.locator('figure.latency svg');
      expect(await chart.isVisible()).toBe(true);
      expect(await chart.locator('.p95, .p50').count()).toBeGreaterThanOrEqual(2);
      expect(await chart.locator('text').allTextContents()).toEqual(expect.arrayContaining(['0', expect.stringMatching(/^\d+ ms$/)]));
      expect(await acme.locator('dd.sla').innerText()).toMatch(/^99\.9% target, \d+(\.\d+)?% measured this month; p95 ≤ 300 ms target, \d+ ms measured$/);

      // From the top of the page to the end of the first vendor's card: the incident, the strip and the chart.
      const card = (await acme.boundingBox())!;
      await page.screenshot({
        path: join(ARTIFACTS, `status-page-${name}-incident.png`),
        fullPage: true,
        clip: { x: 0, y: 0, width: viewport.width, height: card.y + card.height + 8 },
      });
      expect(seen.errors).toEqual([]);
      expect(seen.external).toEqual([]);
      await context.close();
    });
  }

  it('updates in place, without reloading the page, and says when it could not', async () => {
    const page = await browser.newPage();
    const seen = watch(page);
    await page.clock.install();
    await open(page);
    await page.evaluate(() => {
      (window as unknown as { loadedOnce: boolean }).loadedOnce = true;
      document.querySelector('main')!.dataset.stale = 'yes';
    });
    // The page asks for itself every refresh (30 s here): let the page's clock run that far.
    await page.clock.runFor(31_000);
    await expect.poll(() => page.evaluate(() => document.querySelector('main')!.dataset.stale ?? 'replaced'), { timeout: 20_000 }).toBe('replaced');
    expect(await page.evaluate(() => (window as unknown as { loadedOnce?: boolean }).loadedOnce)).toBe(true);
    expect(await page.locator('#vendor-acme-cdn figure.strip svg rect').count()).toBe(24);
    expect(await page.locator('.meta.stale').count()).toBe(0);
    expect(seen.errors).toEqual([]);
    // A collector that does not answer: what is shown stays, marked as not updated.
    await page.route(url, (route) => route.abort('connectionrefused'));
    await page.clock.runFor(31_000);
    await expect.poll(() => page.locator('.meta.stale').count(), { timeout: 20_000 }).toBe(1);
    expect(await page.locator('#incidents article.incident.open').count()).toBe(1);
    expect(seen.external).toEqual([]);
    await page.close();
  });
});

describe('vendorwatch run serves the same page', () => {
  it('shows its own probe’s verdict on a lab target that answers 503', async () => {
    const target = createServer((_req, res) => res.writeHead(503).end('down for maintenance'));
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    const dir = tempDir('vendorwatch-status-page-run-');
    const config = join(dir, 'vendorwatch.yaml');
    writeFileSync(
      config,
      `probe: { region: lab, spool_dir: ${JSON.stringify(join(dir, 'spool'))} }
collector: { journal: ${JSON.stringify(join(dir, 'journal.jsonl'))} }
consensus: { min_probes: 1 }
vendors: [{ name: lab-cdn, kind: cdn }]
checks:
  - { name: lab-js, vendor: lab-cdn, kind: http, url: "http://127.0.0.1:${(target.address() as { port: number }).port}/app.js", interval: 1s, timeout: 1s }
`,
    );
    const listen = `127.0.0.1:${await freePort()}`;
    const run = startCli(['run', '--config', config, '--listen', listen, '--id', 'lab-1']);
    try {
      await waitFor(async () => (await (await fetch(`http://${listen}/v1/vendors`)).json()).vendors[0].state === 'hard_down', {
        what: `lab-cdn hard_down\n${run.output()}`,
      });
      const page = await browser.newPage();
      await page.goto(`http://${listen}/`);
      expect(await page.locator('#vendor-lab-cdn .badge').first().innerText()).toBe('hard down');
      expect(await page.locator('#vendor-lab-cdn .why').innerText()).toContain('1 of 1 probes fail lab-js in the response (http_status)');
      expect(await page.locator('#checks-lab-cdn + .scroll .vote.bad').innerText()).toMatch(/^lab-1 ✗ in the response \(http_status\)/);
      await page.close();
    } finally {
      await run.stop();
      target.closeAllConnections();
      await new Promise<void>((r) => target.close(() => r()));
    }
  });
});
