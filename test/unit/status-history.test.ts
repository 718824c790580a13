/** The status page's history when its files cannot be read: the page shows the present, and says why once. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/load.ts';
import { StatusHistory } from '../../agent/collector/statusHistory.ts';
import { tempDir } from '../support/processes.ts';

describe('status page history', () => {
  it('is empty, with one warning, when the journal cannot be read', () => {
    const journal = join(tempDir(), 'journal.jsonl');
    mkdirSync(journal); // a directory where the journal should be: reading it fails with EISDIR
    const config = parseConfig(`collector: { journal: ${JSON.stringify(journal)} }\nvendors: [{ name: a }]\n`, 't.yaml', {});
    const warnings: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(JSON.parse(line).msg) });
    const history = new StatusHistory(config, undefined, logger);
    expect(history.at(Date.now()).size).toBe(0);
    expect(history.at(Date.now()).size).toBe(0);
    expect(warnings).toEqual(['status page shows no history: the journal or hourly results cannot be read']);
  });
});
