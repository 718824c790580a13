import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/load.ts';
import { configProblems as problems } from '../support/config.ts';

const base = `vendors: [{ name: shop }, { name: payco, kind: payment }]
checks:
  - name: buy
    vendor: payco
    kind: browser
    script: transactions/checkout.ts
`;

describe('browser check config', () => {
  it('fills browser defaults for a minimal check', () => {
    const config = parseConfig(base, '/etc/vendorwatch/test.yaml', {});
    expect(config.checks[0]).toEqual({
      name: 'buy',
      vendor: 'payco',
      kind: 'browser',
      role: 'delivery',
      interval: 60_000,
      timeout: 30_000,
      script: '/etc/vendorwatch/transactions/checkout.ts',
      action_timeout: 10_000,
      block: [],
      viewport: { width: 1280, height: 720 },
      thresholds: { steps: {}, vendors: {} },
      artifacts: { dir: 'data/artifacts', keep: 20, max_age: 7 * 86_400_000, screenshot: true, trace: true },
    });
    expect(config.probe.browser_concurrency).toBe(2);
  });

  it('reads every option', () => {
    const config = parseConfig(
      `${base}    base_url: https://shop.example.com
    action_timeout: 5s
    block: ["*.analytics.example", "pay.example.com:443"]
    allow: ["shop.example.com"]
    viewport: { width: 390, height: 844 }
    thresholds: { total: 8s, steps: { pay: 2s, "add to cart": 500ms }, vendors: { payco: 1s, other: 3s } }
    artifacts: { dir: /var/lib/vendorwatch/artifacts, keep: 3, max_age: 2d, screenshot: false, trace: false }
`,
      'test.yaml',
      {},
    );
    expect(config.checks[0]).toMatchObject({
      base_url: 'https://shop.example.com',
      action_timeout: 5000,
      allow: ['shop.example.com'],
      thresholds: { total: 8000, steps: { pay: 2000, 'add to cart': 500 }, vendors: { payco: 1000, other: 3000 } },
      artifacts: { keep: 3, max_age: 172_800_000, screenshot: false, trace: false },
    });
  });

  it('points at an unknown threshold vendor, a bad host pattern and a bad viewport', () => {
    expect(problems(`${base}    thresholds: { vendors: { paycoo: 1s } }\n`)[0]).toMatchObject({
      line: 7,
      path: 'checks[0].thresholds.vendors.paycoo',
      message: 'unknown vendor "paycoo" (did you mean "payco"?)',
    });
    expect(problems(`${base}    block: ["https://ads.example.com/"]\n`)[0]).toMatchObject({ line: 7, path: 'checks[0].block[0]' });
    expect(problems(`${base}    viewport: { width: 10 }\n`)[0]).toMatchObject({ path: 'checks[0].viewport.width' });
  });

  it('keeps the timeout within the interval', () => {
    expect(problems(`${base}    interval: 10s\n`)[0]).toMatchObject({ path: 'checks[0].timeout', message: 'timeout must not exceed the interval' });
  });
});
