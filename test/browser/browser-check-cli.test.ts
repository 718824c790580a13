import { existsSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserDetailsSchema } from '../../config/checks/browser.ts';
import { checkResultSchema } from '../../config/result.ts';
import { startShop, type Shop } from '../../lab/shop.ts';
import { ROOT, runCli, tempDir } from '../support/processes.ts';

let healthy: Shop;
let broken: Shop;
const dir = tempDir('vendorwatch-browser-cli-');
const config = join(dir, 'vendorwatch.yaml');
const artifacts = join(dir, 'artifacts');

beforeAll(async () => {
  [healthy, broken] = await Promise.all([startShop(), startShop()]);
  broken.setFault('failing');
  const host = (url: string) => new URL(url).host;
  // The script path is relative to the config file, as users write it.
  const script = relative(dir, join(ROOT, 'config/transactions/shop-checkout.ts'));
  writeFileSync(
    config,
    `vendors:
  - { name: lab-shop, hosts: ["${host(healthy.url)}", "${host(broken.url)}"] }
  - { name: payco, kind: payment, hosts: ["${host(healthy.paymentUrl)}", "${host(broken.paymentUrl)}"] }
checks:
  - { name: checkout, vendor: payco, kind: browser, script: ${script}, base_url: "${healthy.url}", artifacts: { dir: "${artifacts}" } }
  - { name: checkout-broken, vendor: payco, kind: browser, script: ${script}, base_url: "${broken.url}", artifacts: { dir: "${artifacts}" } }
`,
  );
});
afterAll(async () => {
  await Promise.all([healthy?.close(), broken?.close()]);
});

describe('vendorwatch check --json on the shop transaction', () => {
  it('prints steps and vendor timings, and failure artifacts for the run that failed', async () => {
    const { code, stdout, stderr } = await runCli(['check', '--json', '--config', config]);
    expect(code, stderr).toBe(1);
    const results = stdout
      .trim()
      .split('\n')
      .map((line) => checkResultSchema.parse(JSON.parse(line)));
    const by = Object.fromEntries(results.map((r) => [r.check, { ...r, details: browserDetailsSchema.parse(r.details) }]));

    expect(by.checkout).toMatchObject({ ok: true, kind: 'browser', reason: 'ok' });
    expect(by.checkout!.details.steps.map((s) => s.name)).toEqual(['sign in', 'add to cart', 'checkout', 'pay']);
    expect(by.checkout!.details.vendors.payco!.count).toBe(2);
    expect(by.checkout!.details.artifacts).toBeUndefined();

    const failed = by['checkout-broken']!;
    expect(failed).toMatchObject({ ok: false, reason: 'script' });
    expect(failed.message).toMatch(/^step "pay" failed: the shop says: Payment failed \(HTTP 502\) \(failed requests: payco HTTP 502 POST /);
    expect(failed.details.failedStep).toBe('pay');
    expect(existsSync(failed.details.artifacts!.screenshot!)).toBe(true);
    expect(existsSync(failed.details.artifacts!.trace!)).toBe(true);
  });
});
