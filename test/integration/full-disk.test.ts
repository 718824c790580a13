/**
 * A disk that fills up, for real: a 64 KiB tmpfs under the collector's journal, and one under a
 * probe's spool (a probe process pushing to a collector process).
 */
import { createServer } from 'node:http';
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Journal, type JournalEvent } from '../../agent/collector/journal.ts';
import { journalWriteErrors } from '../../agent/collector/metrics.ts';
import { scrape, sum } from '../support/exposition.ts';
import { recordingLogger } from '../support/logs.ts';
import { freePort, startCli, tempDir, waitFor } from '../support/processes.ts';
import { mountTmpfs, NO_TMPFS } from '../support/tmpfs.ts';

const disk = mountTmpfs('64k');
const spoolDisk = mountTmpfs('64k');
afterAll(() => {
  disk?.unmount();
  spoolDisk?.unmount();
});

/** Fills a disk to its last byte. */
function fill(dir: string): void {
  try {
    writeFileSync(join(dir, 'filler'), Buffer.alloc(1024 * 1024));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  }
}

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
    const written = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as JournalEvent);
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

describe.skipIf(!spoolDisk)(`a probe whose spool disk is full${spoolDisk ? '' : ` (${NO_TMPFS})`}`, () => {
  it('delivers straight to the collector while it answers, counts and logs the spool failures, loses nothing and is not probe_down', async () => {
    const TOKEN = 'full-disk-token';
    const dir = tempDir();
    fill(spoolDisk!.dir);
    const target = createServer((_req, res) => res.end('fine'));
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    const config = join(dir, 'vendorwatch.yaml');
    writeFileSync(
      config,
      `probe: { spool_dir: ${JSON.stringify(join(spoolDisk!.dir, 'spool'))}, push_interval: 500ms }
collector: { token: ${TOKEN}, journal: ${JSON.stringify(join(dir, 'journal.jsonl'))}, probe_down_after: 3s }
consensus: { min_probes: 1 }
vendors: [{ name: acme }]
checks:
  - { name: acme-js, vendor: acme, kind: http, url: "http://127.0.0.1:${(target.address() as { port: number }).port}/", interval: 1s, timeout: 1s }
`,
    );
    const env = { VENDORWATCH_TOKEN: TOKEN };
    const collectorUrl = `http://127.0.0.1:${await freePort()}`;
    const collector = startCli(['collector', '--config', config, '--listen', new URL(collectorUrl).host], { env });
    const probeUrl = `http://127.0.0.1:${await freePort()}`;
    const probe = startCli(['probe', '--config', config, '--listen', new URL(probeUrl).host, '--id', 'p1', '--region', 'eu', '--collector', collectorUrl], {
      env,
    });
    try {
      // Twice probe_down_after worth of results (one a second) reached the collector.
      await waitFor(async () => sum(await scrape(collectorUrl), 'vendorwatch_ingest_results_total', { probe: 'p1', result: 'accepted' }) >= 6, {
        what: `results at the collector\nprobe:\n${probe.output().slice(-3000)}`,
        timeoutMs: 90_000,
      });
      const { probes } = (await (await fetch(`${collectorUrl}/v1/probes`)).json()) as { probes: { id: string; health: string }[] };
      expect(probes).toEqual([expect.objectContaining({ id: 'p1', health: 'up' })]);
      const { alerts } = (await (await fetch(`${collectorUrl}/v1/alerts`)).json()) as { alerts: { labels: Record<string, string> }[] };
      expect(alerts.filter((a) => a.labels.alertname === 'ProbeDown')).toEqual([]);

      const metrics = await scrape(probeUrl);
      expect(sum(metrics, 'vendorwatch_push_spool_write_errors_total')).toBeGreaterThan(0);
      expect(sum(metrics, 'vendorwatch_push_results_total', { result: 'dropped' })).toBe(0);
      expect(probe.output()).toContain('cannot write to the spool; the batch waits in memory');

      await probe.stop();
      const summary = probe
        .output()
        .split('\n')
        .filter((l) => l.includes('"push stopped"'))
        .map((l) => JSON.parse(l) as { queued: number; delivered: number; dropped: number; spooled: number })[0]!;
      // What it could neither deliver nor spool before it stopped is the only loss, and it is counted.
      expect(summary.delivered + summary.dropped).toBe(summary.queued);
      expect(summary.spooled).toBe(0);
      const accepted = sum(await scrape(collectorUrl), 'vendorwatch_ingest_results_total', { probe: 'p1', result: 'accepted' });
      expect(accepted).toBe(summary.delivered);
    } finally {
      await probe.stop();
      await collector.stop();
      await new Promise<void>((r) => target.close(() => r()));
    }
  }, 150_000);
});
