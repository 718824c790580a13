/**
 * The browser benchmark's simplest check: open the lab shop's first page and wait for its load
 * event (Playwright's `goto` waits for it), nothing more.
 */
import type { Transaction } from '../../agent/probe/checks/browser/run.ts';

/**
 * Awaited once the page has loaded. The memory benchmark sets `wait` to hold each run's context
 * open, page loaded, while it measures Chromium; otherwise the run ends at once.
 */
export const afterLoad: { wait?: () => Promise<void> } = {};

const pageLoad: Transaction = async ({ page, step }) => {
  await step('load', () => page.goto('/'));
  await afterLoad.wait?.();
};

export default pageLoad;
