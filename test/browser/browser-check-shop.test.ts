import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { closeRunners } from '../../agent/probe/checks/index.ts';
import { createLogger } from '../../agent/log.ts';
import { registry } from '../../agent/metrics.ts';
import { recordCheckResult } from '../../agent/probe/metrics.ts';
import { Scheduler } from '../../agent/probe/scheduler.ts';
import { browserDetailsSchema, type BrowserDetails } from '../../config/checks/browser.ts';
import { parseConfig } from '../../config/load.ts';
import { checkResultSchema, type CheckResult } from '../../config/result.ts';
import { startShop, type Shop } from '../../lab/shop.ts';
import { freePort, ROOT, tempDir } from '../support/processes.ts';
import { promtoolCheckMetrics } from '../support/prometheus.ts';

let shop: Shop;
const dir = tempDir('vendorwatch-browser-');
const artifacts = join(dir, 'artifacts');

const hostOf = (url: string) => new URL(url).host;

/** The shop transaction as configured by a user, through the real config loader. */
function config({ extra = '', thresholds = '{ vendors: { payco: 1s } }', baseUrl = shop.url } = {}) {
  return parseConfig(
    `vendors:
  - { name: lab-shop, hosts: ["${hostOf(shop.url)}"] }
  - { name: payco, kind: payment, hosts: ["${hostOf(shop.paymentUrl)}"] }
checks:
  - name: checkout
    vendor: payco
    kind: browser
    script: ${join(ROOT, 'config/transactions/shop-checkout.ts')}
    base_url: ${baseUrl}
    timeout: 20s
    action_timeout: 5s
    thresholds: ${thresholds}
    artifacts: { dir: ${artifacts}, keep: 5 }
${extra}`,
    join(dir, 'vendorwatch.yaml'),
    {},
  );
}

async function run(opts: Parameters<typeof config>[0] = {}): Promise<{ result: CheckResult; details: BrowserDetails }> {
  const c = config(opts);
  const scheduler = new Scheduler({
    checks: [],
    vendors: c.vendors,
    probe: { id: 'test', region: 'lab' },
    logger: createLogger('warn'),
    concurrency: 4,
    onResult: () => {},
  });
  const result = checkResultSchema.parse(await scheduler.runOnce(c.checks[0]!));
  return { result, details: browserDetailsSchema.parse(result.details) };
}

beforeAll(async () => {
  shop = await startShop({ slowMs: 2500 });
});
beforeEach(() => shop.setFault('none'));
afterAll(async () => {
  await closeRunners();
  await shop?.close();
});

describe('browser check on the lab shop', () => {
  it('passes, with steps, vendor timings, pages and web vitals', async () => {
    const { result, details } = await run();
    expect(result).toMatchObject({ ok: true, degraded: false, reason: 'ok', kind: 'browser', vendor: 'payco', message: 'ok' });
    expect(details.steps.map((s) => [s.name, s.ok])).toEqual([
      ['sign in', true],
      ['add to cart', true],
      ['checkout', true],
      ['pay', true],
    ]);
    // The payment API call happened in "pay" and is attributed to the payment vendor.
    expect(details.steps[3]!.vendors.payco).toMatchObject({ requests: 1 });
    expect(details.slowest.payco).toMatchObject({ vendor: 'payco', step: expect.any(String), durationMs: expect.any(Number) });
    expect(details.vendors.payco).toMatchObject({ count: 2, failed: 0, types: { script: 1, fetch: 1 } });
    expect(details.vendors['lab-shop']!.count).toBeGreaterThan(5);
    expect(details.failedRequests).toEqual([]);
    expect(details.pages.map((p) => p.url)).toEqual([
      `${shop.url}/`,
      `${shop.url}/products/espresso`,
      `${shop.url}/cart`,
      `${shop.url}/checkout`,
      expect.stringMatching(new RegExp(`^${shop.url}/orders/`)),
    ]);
    expect(details.pages[0]!.navigationMs).toMatchObject({ ttfb: expect.any(Number), transfer: expect.any(Number), load: expect.any(Number) });
    expect(details.pages.some((p) => p.vitals.FCP !== undefined && p.vitals.CLS !== undefined)).toBe(true);
    // The first navigation's timing maps onto the shared phases; total is the whole transaction.
    expect(Object.keys(result.phases).sort()).toEqual(['connect', 'dns', 'total', 'transfer', 'ttfb']);
    expect(result.phases.total!).toBeGreaterThan(result.phases.ttfb!);
    expect(details.artifacts).toBeUndefined();

    recordCheckResult(result);
    const exposition = await registry.metrics();
    expect(exposition).toMatch(/vendorwatch_browser_step_duration_seconds_count\{vendor="payco",check="checkout",region="lab",step="pay"\} 1/);
    expect(exposition).toMatch(/vendorwatch_browser_request_duration_seconds_count\{check="checkout",region="lab",vendor="payco"\} 2/);
    expect(exposition).toMatch(/vendorwatch_browser_web_vital_count\{check="checkout",region="lab",vital="FCP"\}/);
    expect(exposition).toMatch(/vendorwatch_check_duration_seconds_count\{vendor="payco",check="checkout",kind="browser",region="lab",phase="ttfb"\} 1/);
    expect(promtoolCheckMetrics(exposition)).toEqual({ status: 0, output: '' });
  });

  it('is degraded when the payment vendor is slow, naming the vendor and the step', async () => {
    shop.setFault('slow');
    const { result, details } = await run({ thresholds: '{ vendors: { payco: 1s }, steps: { pay: 2s } }' });
    expect(result).toMatchObject({ ok: true, degraded: true, reason: 'ok' });
    expect(details.slow).toEqual([
      { kind: 'step', name: 'pay', vendor: 'payco', durationMs: expect.any(Number), thresholdMs: 2000 },
      { kind: 'vendor', name: 'payco', vendor: 'payco', durationMs: expect.any(Number), thresholdMs: 1000 },
    ]);
    expect(details.slowest.payco).toMatchObject({ step: 'pay', url: `${shop.paymentUrl}/v1/charges` });
    expect(details.slowest.payco!.durationMs).toBeGreaterThanOrEqual(2500);
    expect(result.message).toMatch(
      /^step "pay" took \d+ ms \(threshold 2000 ms\); slowest vendor in it: payco \(\d+ ms\); payco slow: http:\/\/\S+\/v1\/charges took \d+ ms in step "pay" \(threshold 1000 ms\)$/,
    );
  });

  it('fails in the step the payment vendor broke, with a screenshot and a trace', async () => {
    shop.setFault('failing');
    const { result, details } = await run();
    expect(result).toMatchObject({ ok: false, reason: 'script' });
    expect(result.message).toContain('step "pay" failed: the shop says: Payment failed (HTTP 502)');
    expect(result.message).toContain(`(failed requests: payco HTTP 502 POST ${shop.paymentUrl}/v1/charges)`);
    expect(details.failedStep).toBe('pay');
    expect(details.steps.at(-1)).toMatchObject({ name: 'pay', ok: false, error: expect.stringContaining('Payment failed') });
    expect(details.failedRequests).toEqual([{ vendor: 'payco', step: 'pay', method: 'POST', url: `${shop.paymentUrl}/v1/charges`, status: 502 }]);
    expect(details.artifacts!.dir.startsWith(join(artifacts, 'checkout'))).toBe(true);
    for (const file of [details.artifacts!.screenshot!, details.artifacts!.trace!]) {
      expect(existsSync(file), file).toBe(true);
      expect(statSync(file).size).toBeGreaterThan(1000);
    }
  });

  it('fails with reason connect when the site does not answer', async () => {
    const { result, details } = await run({ baseUrl: `http://127.0.0.1:${await freePort()}` });
    expect(result).toMatchObject({ ok: false, reason: 'connect' });
    expect(result.message).toContain('step "sign in" failed: page.goto: net::ERR_CONNECTION_REFUSED');
    expect(details.failedRequests[0]).toMatchObject({ vendor: 'other', step: 'sign in', error: 'net::ERR_CONNECTION_REFUSED' });
  });

  it('blocks hosts: `block` keeps requests from the payment vendor, `allow` lets only the shop through', async () => {
    for (const extra of [`    block: ["${hostOf(shop.paymentUrl)}"]\n`, `    allow: ["${hostOf(shop.url)}"]\n`]) {
      const { result, details } = await run({ extra });
      expect(result).toMatchObject({ ok: false, reason: 'script' });
      expect(result.message).toContain('Payment failed');
      expect(details.blockedRequests).toBeGreaterThanOrEqual(1);
      expect(details.failedRequests.filter((f) => f.vendor === 'payco')).toEqual([]);
      expect(details.vendors.payco).toBeUndefined();
    }
  });
});
