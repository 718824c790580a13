/**
 * Vitest global setup: tests that start `bin/vendorwatch.js` run what a user runs, the compiled
 * dist/, rebuilt here when a source changed since the last build (bin/dist.js says when).
 */
import { buildCli } from '../../bin/build.js';
import { distState } from '../../bin/dist.js';

export default async function buildIfStale(): Promise<void> {
  if (!distState().fresh) await buildCli();
}
