import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Journal, type JournalEvent } from '../../agent/collector/journal.ts';
import { journalSkippedLines } from '../../agent/collector/metrics.ts';
import { recordingLogger } from '../support/logs.ts';
import { tempDir } from '../support/processes.ts';

const probe = (name: string, at: number): JournalEvent => ({ type: 'probe', at, probe: name, region: 'eu', health: 'up' });
const line = (e: JournalEvent) => `${JSON.stringify(e)}\n`;
const skippedLines = async () => (await journalSkippedLines.get()).values[0]?.value ?? 0;

describe('reading the journal back', () => {
  it('skips a torn line in the middle, keeps the event glued to it, and counts and logs what it skipped', async () => {
    const path = join(tempDir(), 'journal.jsonl');
    // What a full disk left before the fix: half of b, then c (written once space came back) glued onto it.
    const torn = line(probe('b', 2)).slice(0, 30);
    writeFileSync(path, line(probe('a', 1)) + torn + line(probe('c', 3)) + '{"not":"an event"}\n' + line(probe('d', 4)));
    const { lines, logger } = recordingLogger();
    const before = await skippedLines();

    const events = new Journal(path, logger).read();

    expect(events.map((e) => e.type === 'probe' && e.probe)).toEqual(['a', 'c', 'd']);
    expect((await skippedLines()) - before).toBe(2);
    const warnings = lines.filter((l) => l.msg.startsWith('skipped unreadable journal lines'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ skipped: 2, lines: [2, 3] });
  });
});
