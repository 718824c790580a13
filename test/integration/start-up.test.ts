/** What a started collector says first: where its status page is, and what would leave it useless. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, startCli, tempDir, waitFor, type Running } from '../support/processes.ts';

let running: Running | undefined;
afterEach(async () => void (await running?.stop()));

describe('start-up', () => {
  it('a collector without a token names its status page and metrics and warns that pushes are refused', async () => {
    const config = join(tempDir(), 'vendorwatch.yaml');
    writeFileSync(config, 'vendors: [{ name: acme }]\nchecks: []\n');
    const port = await freePort();
    running = startCli(['collector', '--config', config, '--listen', `0.0.0.0:${port}`], { env: { VENDORWATCH_TOKEN: '', VENDORWATCH_LOG_FORMAT: '' } });
    await waitFor(() => running!.output().includes('status page'), { timeoutMs: 60_000, what: 'the status page line' });
    const lines = running
      .output()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { level: string; name: string; msg: string });
    expect(lines).toContainEqual(
      expect.objectContaining({ level: 'info', name: 'vendorwatch', msg: `status page http://127.0.0.1:${port}/ · metrics http://127.0.0.1:${port}/metrics` }),
    );
    expect(lines).toContainEqual(expect.objectContaining({ level: 'warn', msg: expect.stringContaining('every push from a probe is refused with 401') }));
    expect(lines).toContainEqual(expect.objectContaining({ level: 'warn', msg: expect.stringContaining('nothing is watched') }));
  }, 90_000);

  it('prints readable lines with --log-format pretty, which wins over the environment', async () => {
    const config = join(tempDir(), 'vendorwatch.yaml');
    writeFileSync(config, 'collector: { token: t }\nvendors: [{ name: acme }]\nchecks: []\n');
    const port = await freePort();
    running = startCli(['collector', '--log-format', 'pretty', '--config', config, '--listen', `127.0.0.1:${port}`], {
      env: { VENDORWATCH_LOG_FORMAT: 'json' },
    });
    await waitFor(() => running!.output().includes('status page'), { timeoutMs: 60_000, what: 'the status page line' });
    expect(running.output()).toMatch(
      new RegExp(`^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} INFO  status page http://127\\.0\\.0\\.1:${port}/ · metrics http://127\\.0\\.0\\.1:${port}/metrics$`, 'm'),
    );
    expect(running.output()).not.toContain('no collector token');
  }, 90_000);
});
