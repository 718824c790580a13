/**
 * Real users in `vendorwatch report`, end to end: the lab site in real Chromium, its beacon going
 * to a `vendorwatch collector` process, the collector's hourly RUM rollup written when it stops,
 * and the report's real-user figures for each vendor.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBeacon } from '../../beacon/build.ts';
import { startLabSite, type LabSite } from '../../lab/site.ts';
import { launchChromium } from '../support/chromium.ts';
import { scrape, sum } from '../support/exposition.ts';
import { freePort, runCli, startCli, tempDir, waitFor, type Running } from '../support/processes.ts';

// Chromium, a collector and the report are processes on a possibly loaded machine.
const PROCESS_TIMEOUT = 180_000;
const dir = tempDir('vendorwatch-report-rum-');
const config = join(dir, 'vendorwatch.yaml');
let site: LabSite;
let collector: Running;
let collectorUrl: string;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  await buildBeacon();
  const port = await freePort();
  collectorUrl = `http://127.0.0.1:${port}`;
  site = await startLabSite({ collector: collectorUrl });
  writeFileSync(
    config,
    JSON.stringify({ collector: { journal: join(dir, 'journal.jsonl') }, vendors: site.vendors, rum: { origins: [site.url], page_groups: site.pageGroups } }),
  );
  collector = startCli(['collector', '--config', config, '--listen', `127.0.0.1:${port}`]);
  await waitFor(async () => (await fetch(`${collectorUrl}/healthz`)).ok, { what: `collector up\n${collector.output()}` });
  browser = await launchChromium({ args: [`--host-resolver-rules=${site.hostResolverRules}`] });
  page = await (await browser.newContext()).newPage();
}, PROCESS_TIMEOUT);

afterAll(async () => {
  await browser?.close();
  await collector?.stop();
  await site?.close();
});

describe('real users in vendorwatch report', () => {
  it(
    'a product page view in Chromium: each vendor’s loads, the share that succeeded, p75 resource time; the failing widget shows',
    async () => {
      await page.goto(`${site.url}/product/42`);
      // The beacon needs its config before it can name vendors; then wait for the late widget to fail.
      await page.waitForFunction(() => performance.getEntriesByType('resource').some((e) => e.name.endsWith('/v1/beacon/config')));
      await page.waitForFunction(() => (window as { widgetFailed?: boolean }).widgetFailed);
      await page.goto(`${site.url}/other`); // the product page's beacon leaves as the page goes away
      await waitFor(
        async () => {
          const m = await scrape(collectorUrl);
          return ['vendor-a', 'vendor-d'].every((vendor) => sum(m, 'vendorwatch_rum_vendor_page_views_total', { vendor }) >= 1) || undefined;
        },
        { what: 'the product page view counted for vendor-a and vendor-d' },
      );
      expect(await collector.stop()).toBe(0); // writes the current hour's rollup

      const r = await runCli(['report', '--config', config, '--format', 'json']);
      expect(r.code).toBe(0);
      const rum = Object.fromEntries((JSON.parse(r.stdout).vendors as { vendor: string; rum: Record<string, number | null> }[]).map((v) => [v.vendor, v.rum]));
      // vendor-a: app.js and the hero image, both load
      expect(rum['vendor-a']).toMatchObject({ pageViews: 1, failedLoads: 0, successPercent: 100 });
      expect(rum['vendor-a']!.resourceLoads).toBeGreaterThanOrEqual(2);
      expect(rum['vendor-a']!.p75Seconds).toBeGreaterThan(0);
      // vendor-d: the widget fails (and the API answers 503)
      expect(rum['vendor-d']!.failedLoads).toBeGreaterThanOrEqual(1);
      expect(rum['vendor-d']!.successPercent).toBeLessThan(100);

      const md = await runCli(['report', '--config', config]);
      expect(md.stdout).toMatch(/^\| vendor-a \| 1 \| \d+ \| 100\.00% \| \d+ ms \| no incidents \|$/m);
    },
    PROCESS_TIMEOUT,
  );
});
