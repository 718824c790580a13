/**
 * A probe outlives playwright-core's "Object with guid … was not bound in the connection", thrown
 * from its message dispatch when a check's context closes at the timeout with an answer still on
 * its way; any other uncaught exception still ends the process. Run in a child process, since
 * the point is what happens to a process.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/processes.ts';

function probeThatThrows(message: string, stackFrame: string) {
  const script = `
    const { Chromium } = await import('./agent/probe/checks/browser/chromium.ts');
    const { createLogger } = await import('./agent/log.ts');
    new Chromium({ concurrency: 1, logger: createLogger('warn') });
    setImmediate(() => {
      const err = new Error(${JSON.stringify(message)});
      err.stack = err.message + '\\n    at ' + ${JSON.stringify(stackFrame)};
      throw err;
    });
    setTimeout(() => console.log('still running'), 200);
  `;
  return spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
}

describe('uncaught exceptions in a probe with Chromium', () => {
  it("outlives playwright-core's dispatch race, and says so", () => {
    const run = probeThatThrows(
      'Object with guid response@efad85a57fc00233dbac05dcd41c9f3d was not bound in the connection',
      'Connection._tChannelImplFromWire (node_modules/playwright-core/lib/coreBundle.js:66086:19)',
    );
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain('still running');
    expect(run.stderr).toContain('playwright-core answered for a closed context; ignored');
  });

  it('still ends on any other uncaught exception, logged as fatal', () => {
    const run = probeThatThrows('something else broke', 'somewhere (agent/probe/checks/browser/run.ts:1:1)');
    expect(run.status).toBe(1);
    expect(run.stdout).not.toContain('still running');
    expect(run.stderr).toMatch(/"level":"fatal".*something else broke/);
  });

  it('does not mistake the same words from elsewhere for the race', () => {
    const run = probeThatThrows('Object with guid x@1 was not bound in the connection', 'mine (lab/shop.ts:1:1)');
    expect(run.status).toBe(1);
  });
});
