/**
 * A disk that fills up, for real: a 64 KiB tmpfs under the collector's journal and under a
 * probe's spool.
 */
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Journal, type JournalEvent } from '../../agent/collector/journal.ts';
import { journalWriteErrors } from '../../agent/metrics.ts';
import { recordingLogger } from '../support/logs.ts';
import { mountTmpfs, NO_TMPFS } from '../support/tmpfs.ts';

const disk = mountTmpfs('64k');
afterAll(() => disk?.unmount());

describe.skipIf(!disk)(`the journal on a full disk${disk ? '' : ` (${NO_TMPFS})`}`, () => {
  it('writes whole lines or none; what it could not write is counted and logged, and appends resume once space is back', async () => {
    const path = join(disk!.dir, 'journal.jsonl');
    const filler = join(disk!.dir, 'filler');
    writeFileSync(filler, Buffer.alloc(16 * 1024));
    const { lines, logger } = recordingLogger();
    const journal = new Journal(path, logger);
    const errorsBefore = (await journalWriteErrors.get()).values[0]?.value ?? 0;
    // About 230 bytes each: 500 of them are more than the 64 KiB disk holds.
    const event = (i: number): JournalEvent => ({ type: 'probe', at: i, probe: `probe-${i}-${'x'.repeat(180)}`, region: 'eu', health: 'up' });

    for (let i = 0; i < 400; i++) journal.append(event(i));
    // Evaluations write their lines together: a batch is whole or lost as a whole.
    for (let i = 400; i < 500; i += 5) journal.batch(() => [0, 1, 2, 3, 4].forEach((k) => journal.append(event(i + k))));
    unlinkSync(filler);
    for (let i = 500; i < 520; i++) journal.append(event(i));
    journal.close();

    const text = readFileSync(path, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    const written = text.trim().split('\n').map((l) => JSON.parse(l) as JournalEvent);
    expect(written.length).toBeLessThan(500);
    // No torn line: every event written is whole, and the ones after the disk had room again are all there.
    expect(journal.read()).toEqual(written);
    expect(written.slice(-20).map((e) => e.at)).toEqual([...Array(20).keys()].map((k) => 500 + k));
    const lost = 520 - written.length;
    expect(((await journalWriteErrors.get()).values[0]?.value ?? 0) - errorsBefore).toBe(lost);
    const failures = lines.filter((l) => l.msg.startsWith('journal write failed'));
    expect(failures.reduce((n, l) => n + (l.events as number), 0)).toBe(lost);
  });
});
