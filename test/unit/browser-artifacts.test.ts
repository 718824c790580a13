import { mkdirSync, readdirSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pruneRuns, runFolder } from '../../agent/probe/checks/browser/failureArtifacts.ts';
import { tempDir } from '../support/processes.ts';

const DAY = 86_400_000;

describe('failure artifacts', () => {
  it('keeps one folder per failed run, the newest `keep`, none older than `max_age`', async () => {
    const dir = tempDir();
    const config = { dir, keep: 3, max_age: 2 * DAY, screenshot: true, trace: true };
    const now = Date.UTC(2025, 10, 20, 12);
    const made: string[] = [];
    for (let i = 0; i < 5; i++) made.push(await runFolder(config, 'checkout', now - (4 - i) * 60_000, `run${i}-0000-0000`));
    expect(made[0]).toBe(join(dir, 'checkout', '2025-11-20T11-56-00-000Z-run0-000'));
    // An old run kept by count goes by age.
    utimesSync(made[3]!, new Date(now - 3 * DAY), new Date(now - 3 * DAY));
    mkdirSync(join(dir, 'other-check', 'x'), { recursive: true });

    await pruneRuns(config, 'checkout', now);
    expect(readdirSync(join(dir, 'checkout')).sort()).toEqual([made[2]!, made[4]!].map((p) => p.split('/').at(-1)));
    expect(readdirSync(join(dir, 'other-check'))).toEqual(['x']);
  });

  it('does nothing for a check that never failed', async () => {
    await expect(pruneRuns({ dir: tempDir(), keep: 1, max_age: DAY, screenshot: true, trace: true }, 'never')).resolves.toBeUndefined();
  });
});
