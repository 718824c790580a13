/**
 * Results larger than a collector takes, between real processes: a collector that accepts 64 KiB
 * per push, and probes whose checks make results of 20 KB and 300 KB (checks of long URLs).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scrape, sum } from '../support/exposition.ts';
import { freePort, startCli, tempDir, waitFor, type Running } from '../support/processes.ts';

const TOKEN = 'batch-token';
const dir = tempDir();
// Nothing listens on port 1: every run fails at once, and its result carries the whole URL.
const longUrl = (bytes: number) => `http://127.0.0.1:1/?pad=${'x'.repeat(bytes)}`;
const config = (probe: string) => `probe: { spool_dir: ${JSON.stringify(join(dir, 'spool'))}, push_interval: 2s${probe} }
collector: { token: ${TOKEN}, journal: ${JSON.stringify(join(dir, 'journal.jsonl'))}, max_body_bytes: 65536 }
consensus: { min_probes: 1 }
vendors: [{ name: acme }]
checks:
${[1, 2, 3, 4, 5].map((i) => `  - { name: long-${i}, vendor: acme, kind: http, url: "${longUrl(20_000)}", interval: 1s, timeout: 1s }`).join('\n')}
  - { name: huge, vendor: acme, kind: http, url: "${longUrl(300_000)}", interval: 1s, timeout: 1s }
`;

interface Stopped {
  queued: number;
  delivered: number;
  rejected: number;
  dropped: number;
  spooled: number;
}

let collector: Running;
let collectorUrl: string;

beforeAll(async () => {
  const file = join(dir, 'collector.yaml');
  writeFileSync(file, config(''));
  const listen = `127.0.0.1:${await freePort()}`;
  collectorUrl = `http://${listen}`;
  collector = startCli(['collector', '--config', file, '--listen', listen], { env: { VENDORWATCH_TOKEN: TOKEN } });
  await waitFor(async () => (await fetch(`${collectorUrl}/healthz`)).ok, { what: `collector up\n${collector.output()}`, timeoutMs: 60_000 });
}, 90_000);
afterAll(() => collector?.stop());

/** Runs a probe until the collector has its huge results; answers its metrics then and its shutdown summary. */
async function runProbe(id: string, probeConfig: string) {
  const file = join(dir, `${id}.yaml`);
  writeFileSync(file, config(probeConfig));
  const listen = `127.0.0.1:${await freePort()}`;
  const probe = startCli(['probe', '--config', file, '--listen', listen, '--id', id, '--region', 'eu', '--collector', collectorUrl], {
    env: { VENDORWATCH_TOKEN: TOKEN },
  });
  try {
    // The huge check's results reached the collector: its votes are evidence for the vendor's state.
    await waitFor(
      async () => {
        const { vendors } = (await (await fetch(`${collectorUrl}/v1/vendors`)).json()) as { vendors: { evidence: { check: string; votes: unknown[] }[] }[] };
        const accepted = sum(await scrape(collectorUrl), 'vendorwatch_ingest_results_total', { probe: id, result: 'accepted' });
        return accepted >= 20 && vendors[0]?.evidence.some((e) => e.check === 'huge' && e.votes.length > 0);
      },
      { what: `results of ${id} at the collector\n${probe.output().slice(-3000)}`, timeoutMs: 120_000 },
    );
    const metrics = await scrape(`http://${listen}`);
    await probe.stop();
    const summary = probe
      .output()
      .split('\n')
      .filter((l) => l.includes('"push stopped"'))
      .map((l) => JSON.parse(l) as Stopped)[0];
    return { metrics, summary, output: probe.output() };
  } finally {
    await probe.stop();
  }
}

describe('push batches and a collector body limit', () => {
  it('a probe whose batches fit the collector never gets 413: the one result too large for any batch is shrunk, marked, and delivered', async () => {
    const before = sum(await scrape(collectorUrl), 'vendorwatch_ingest_requests_total', { code: '413' });
    const { metrics, summary } = await runProbe('fits', ', push_max_batch_bytes: 49152');
    expect(sum(await scrape(collectorUrl), 'vendorwatch_ingest_requests_total', { code: '413' })).toBe(before);
    expect(sum(metrics, 'vendorwatch_push_shrunk_results_total')).toBeGreaterThan(0);
    expect(sum(metrics, 'vendorwatch_push_batch_splits_total')).toBe(0);
    expect(summary).toMatchObject({ rejected: 0, dropped: 0 });
    expect(summary.delivered + summary.spooled).toBe(summary.queued);
  }, 180_000);

  it('a probe whose batches are larger than the collector takes splits them on 413 and shrinks a single result until it fits: nothing is rejected', async () => {
    const { metrics, summary, output } = await runProbe('splits', '');
    expect(sum(metrics, 'vendorwatch_push_requests_total', { code: '413' })).toBeGreaterThan(0);
    expect(sum(metrics, 'vendorwatch_push_batch_splits_total')).toBeGreaterThan(0);
    expect(sum(metrics, 'vendorwatch_push_shrunk_results_total')).toBeGreaterThan(0);
    expect(sum(metrics, 'vendorwatch_push_results_total', { result: 'rejected' })).toBe(0);
    expect(output).toContain('sending it in halves');
    expect(summary).toMatchObject({ rejected: 0, dropped: 0 });
    expect(summary.delivered + summary.spooled).toBe(summary.queued);
  }, 180_000);
});
