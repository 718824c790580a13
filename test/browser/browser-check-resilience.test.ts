import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBrowserCheck } from '../../agent/probe/checks/browser/run.ts';
import { closeRunners, configureRunners } from '../../agent/probe/checks/index.ts';
import { Chromium, probeChromium } from '../../agent/probe/checks/browser/chromium.ts';
import { createLogger } from '../../agent/log.ts';
import { Scheduler } from '../../agent/probe/scheduler.ts';
import { browserDetailsSchema } from '../../config/checks/browser.ts';
import { parseConfig } from '../../config/load.ts';
import { checkResultSchema, type CheckResult } from '../../config/result.ts';
import { startShop, type Shop } from '../../lab/shop.ts';
import { ROOT, tempDir, waitFor } from '../support/processes.ts';

const logger = createLogger('silent');
const dir = tempDir('vendorwatch-browser-');
let shop: Shop;

const scripts = {
  checkout: join(ROOT, 'config/transactions/shop-checkout.ts'),
  hang: join(dir, 'hang.ts'),
  busyPage: join(dir, 'busy-page.ts'),
  linger: join(dir, 'linger.js'),
};
const lingering = join(dir, 'lingering');

function check(script: string, timeout = '20s') {
  const config = parseConfig(
    `vendors:
  - { name: lab-shop, hosts: ["${new URL(shop.url).host}"] }
  - { name: payco, kind: payment, hosts: ["${new URL(shop.paymentUrl).host}"] }
checks:
  - { name: t, vendor: payco, kind: browser, script: "${script}", base_url: "${shop.url}", timeout: ${timeout}, artifacts: { dir: "${join(dir, 'artifacts')}" } }
`,
    join(dir, 'vendorwatch.yaml'),
    {},
  );
  const c = config.checks[0]!;
  if (c.kind !== 'browser') throw new Error('expected a browser check');
  return { check: c, vendors: config.vendors };
}

/** One run the way the probe does it: through the scheduler, with its hard timeout. */
async function run(script: string, timeout?: string): Promise<CheckResult> {
  const { check: c, vendors } = check(script, timeout);
  const scheduler = new Scheduler({ checks: [], vendors, probe: { id: 'test', region: 'lab' }, logger, concurrency: 4, onResult: () => {} });
  return checkResultSchema.parse(await scheduler.runOnce(c));
}

/** Live (not zombie) processes in a process group: Chromium and everything it started. */
function processGroup(pgid: number): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((pid) => {
      try {
        const [state, , pgrp] = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
        return Number(pgrp) === pgid && state !== 'Z';
      } catch {
        return false;
      }
    })
    .map(Number);
}

beforeAll(async () => {
  configureRunners({ logger, browserConcurrency: 2 });
  shop = await startShop();
  writeFileSync(
    scripts.hang,
    `export default async ({ page, step }: { page: any; step: any }) => {\n  await step('open', () => page.goto('/'));\n  await step('wait forever', () => new Promise(() => {}));\n};\n`,
  );
  writeFileSync(
    scripts.busyPage,
    `export default async ({ page, step }: { page: any; step: any }) => {\n  await step('spin', () => page.setContent('<script>for (;;) {}</script>'));\n};\n`,
  );
  writeFileSync(
    scripts.linger,
    `import { writeFileSync } from 'node:fs';\nexport default async ({ page, step }) => {\n  await step('open', () => page.goto('/'));\n  writeFileSync(${JSON.stringify(lingering)}, '');\n  await step('linger', () => page.waitForTimeout(60_000));\n};\n`,
  );
});
afterAll(async () => {
  await closeRunners();
  await shop?.close();
});

describe('browser check resilience', () => {
  it('stops a script that hangs at the timeout, keeps its screenshot, and the next run works', async () => {
    // Long enough for the first step to finish on a loaded machine before the hang takes the rest.
    const result = await run(scripts.hang, '10s');
    expect(result).toMatchObject({ ok: false, reason: 'timeout' });
    expect(result.message).toMatch(/^timed out in step "wait forever" after \d+ ms$/);
    const details = browserDetailsSchema.parse(result.details);
    expect(details.failedStep).toBe('wait forever');
    expect(details.steps.map((s) => [s.name, s.ok])).toEqual([
      ['open', true],
      ['wait forever', false],
    ]);
    expect(existsSync(details.artifacts!.screenshot!)).toBe(true);
    expect(probeChromium().openContexts).toBe(0);

    expect(await run(scripts.checkout)).toMatchObject({ ok: true, reason: 'ok' });
  });

  it('gets out of a page whose JavaScript never yields', async () => {
    const result = await run(scripts.busyPage, '4s');
    expect(result).toMatchObject({ ok: false, reason: 'timeout' });
    await waitFor(() => probeChromium().openContexts === 0, { what: 'the busy context to close' });
    expect(await run(scripts.checkout)).toMatchObject({ ok: true });
  });

  it('returns at once when the scheduler aborts, and closes the context behind it', async () => {
    const { check: c, vendors } = check(scripts.hang);
    const abort = new AbortController();
    const running = runBrowserCheck(c, { signal: abort.signal, probe: { id: 'test', region: 'lab' }, logger, vendors });
    await waitFor(() => probeChromium().openContexts === 1, { what: 'the run to start' });
    abort.abort();
    const result = await running;
    expect(result).toMatchObject({ ok: false, reason: 'timeout' });
    expect(result.message).toMatch(/^aborted at the check timeout \(20000 ms\)/);
    await waitFor(() => probeChromium().openContexts === 0, { what: 'the aborted context to close' });
  });

  it('relaunches a killed Chromium: a run it killed is not blamed on the site, the next run works', async () => {
    expect(await run(scripts.checkout)).toMatchObject({ ok: true });
    const first = probeChromium().pid!;
    expect(processGroup(first).length).toBeGreaterThan(0);

    // Killed mid-run, while the script waits in its second step.
    const running = run(scripts.linger);
    await waitFor(() => existsSync(lingering), { what: 'the script to reach its second step' });
    process.kill(first, 'SIGKILL');
    const killed = await running;
    expect(killed).toMatchObject({ ok: false, reason: 'internal' });
    expect(killed.message).toContain('Chromium exited during the run');
    await waitFor(() => processGroup(first).length === 0, { what: `the killed Chromium's processes to go` });

    // And between runs.
    expect(await run(scripts.checkout)).toMatchObject({ ok: true });
    const second = probeChromium().pid!;
    expect(second).not.toBe(first);
    process.kill(second, 'SIGKILL');
    await waitFor(() => processGroup(second).length === 0, { what: `the killed Chromium's processes to go` });
    expect(await run(scripts.checkout)).toMatchObject({ ok: true });
    expect(probeChromium().pid).not.toBe(second);
  });
});

describe('the probe Chromium', () => {
  it('kills a Chromium that stops answering and carries on with a new one', async () => {
    const chromium = new Chromium({ concurrency: 1, logger, hangAfterMs: 2000 });
    try {
      const signal = new AbortController().signal;
      await chromium.withContext({}, signal, async () => {});
      const stuck = chromium.pid!;
      process.kill(stuck, 'SIGSTOP');
      const title = await chromium.withContext({}, signal, async (context) => {
        const page = await context.newPage();
        await page.setContent('<title>alive</title>');
        return page.title();
      });
      expect(title).toBe('alive');
      expect(chromium.pid).not.toBe(stuck);
      await waitFor(() => processGroup(stuck).length === 0, { what: 'the hung Chromium to be killed' });
    } finally {
      await chromium.close();
    }
  });

  it('leaves no contexts or processes behind after many runs, and recycles itself', async () => {
    const chromium = new Chromium({ concurrency: 2, logger, recycleAfter: 15 });
    const signal = new AbortController().signal;
    const pids: number[] = [];
    const visit = () =>
      chromium.withContext({}, signal, async (context) => {
        const pid = chromium.pid;
        if (pid && !pids.includes(pid)) pids.push(pid);
        const page = await context.newPage();
        await page.setContent('<p>hello</p><iframe srcdoc="<p>frame</p>"></iframe>');
      });
    try {
      for (let i = 0; i < 20; i++) await Promise.all([visit(), visit()]);
      expect(chromium.openContexts).toBe(0);
      // 40 contexts at about 15 per Chromium: replaced twice; the retired ones exit entirely.
      expect(pids.length).toBeGreaterThanOrEqual(3);
      const retired = pids.slice(0, -1);
      await waitFor(() => retired.every((pid) => processGroup(pid).length === 0), { what: 'retired Chromiums to exit' });
    } finally {
      await chromium.close();
    }
    await waitFor(() => pids.every((pid) => processGroup(pid).length === 0), { what: 'every Chromium process to exit after close()' });
  });
});
