/**
 * Soak: a collector process under hostile pushes from a holder of its token, on loopback, for a
 * bounded time. Rounds of pushes, each a mix of:
 *   minted       results from probe ids never seen before (a new id per result)
 *   far times    results that start at the epoch, or in a distinct future hour (years ahead)
 *   unknown      results for a check the collector does not have, from minted ids too
 *   oversized    a body over collector.max_body_bytes (413)
 *   garbage      a body that is not JSON (400)
 * beside one honest probe pushing fresh results. Every few seconds it reads the collector's RSS,
 * the size of its journal and hourly file, its /metrics series and its status page: with the
 * bounds in place they level off instead of growing with the load.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hourlyPath } from '../agent/collector/hourlyResults.ts';
import type { CheckResult, ResultOfKind } from '../config/result.ts';
import { freePort, startCli, tempDir, waitFor } from '../test/support/processes.ts';
import { processUsage, withStops } from './measure.ts';
import type { Benchmark, Table } from './report.ts';
import { vendorwatchVersion } from './vendorwatch.ts';

type HttpResult = ResultOfKind<'http'>;

const TOKEN = 'bench-soak-token';
const HOUR_MS = 3_600_000;
/** Results of each hostile kind per round, and how often the collector is read. */
const PER_KIND = 200;
const SAMPLE_EVERY_MS = 10_000;

const sizeOf = (file: string) => (existsSync(file) ? statSync(file).size : 0);
const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
const kb = (bytes: number) => (bytes / 1024).toFixed(0);

export const soakBenchmark: Benchmark = {
  name: 'soak',
  title: 'Soak: collector memory and journal under hostile pushes',
  async run({ quick, log }) {
    const seconds = quick ? 15 : 90;
    const dir = tempDir('vendorwatch-bench-soak-');
    const journal = join(dir, 'journal.jsonl');
    const file = join(dir, 'vendorwatch.yaml');
    writeFileSync(
      file,
      `collector: { token: ${TOKEN}, journal: ${JSON.stringify(journal)} }
consensus: { min_probes: 1 }
vendors: [{ name: acme }]
checks:
  - { name: acme-js, vendor: acme, kind: http, url: "http://127.0.0.1:1/", interval: 5s, timeout: 1s }
`,
    );
    const url = `http://127.0.0.1:${await freePort()}`;
    const version = await vendorwatchVersion();
    return withStops(async (onStop) => {
      const collector = startCli(['collector', '--config', file, '--listen', new URL(url).host], { env: { VENDORWATCH_LOG_LEVEL: 'error' } });
      onStop(async () => void (await collector.stop()));
      await waitFor(async () => (await fetch(`${url}/healthz`)).ok, { what: 'the collector up' });
      const pid = collector.child.pid!;

      const push = async (body: string): Promise<{ status: number | 'reset'; answer: Record<string, unknown> }> => {
        try {
          const res = await fetch(`${url}/v1/results`, {
            method: 'POST',
            headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
            body,
          });
          const text = await res.text();
          return { status: res.status, answer: res.status === 200 ? (JSON.parse(text) as Record<string, unknown>) : {} };
        } catch {
          // A client still sending when the server hangs up may see a reset instead of the answer.
          return { status: 'reset', answer: {} };
        }
      };
      const result = (extra: Partial<HttpResult>): HttpResult => ({
        id: randomUUID(),
        check: 'acme-js',
        vendor: 'acme',
        kind: 'http',
        role: 'delivery',
        probe: 'honest-1',
        region: 'eu',
        startedAt: Date.now() - 50,
        ok: true,
        degraded: false,
        reason: 'ok',
        message: 'ok',
        phases: { total: 0.02 },
        assertions: [],
        details: {},
        ...extra,
      });

      const counts: Record<string, number> = {};
      const count = (key: string, n = 1) => (counts[key] = (counts[key] ?? 0) + n);
      let round = 0;
      let futureHour = Math.ceil(Date.now() / HOUR_MS) * HOUR_MS + 70 * 365 * 24 * HOUR_MS;
      const rows: string[][] = [];
      const sample = async (elapsed: number) => {
        const metrics = await (await fetch(`${url}/metrics`)).text();
        const series = metrics.split('\n').filter((l) => l && !l.startsWith('#')).length;
        const page = (await (await fetch(`${url}/`)).text()).length;
        const probes = ((await (await fetch(`${url}/v1/probes`)).json()) as { probes: unknown[] }).probes.length;
        rows.push([
          `${Math.round(elapsed / 1000)} s`,
          String(counts.sent ?? 0),
          mb(processUsage(pid).rssBytes),
          String(series),
          String(probes),
          kb(page),
          kb(sizeOf(journal)),
          kb(sizeOf(hourlyPath(journal))),
        ]);
        log(`t=${rows.at(-1)![0]}: rss ${rows.at(-1)![2]} MB, ${series} series, ${probes} probes`);
      };

      const started = Date.now();
      let nextSample = started;
      while (Date.now() - started < seconds * 1000) {
        if (Date.now() >= nextSample) {
          await sample(Date.now() - started);
          nextSample += SAMPLE_EVERY_MS;
        }
        round++;
        const batches: CheckResult[][] = [
          Array.from({ length: PER_KIND }, (_, i) => result({ probe: `minted-${round}-${i}` })),
          Array.from({ length: PER_KIND }, (_, i) => result({ startedAt: i % 2 ? 0 : (futureHour += HOUR_MS) })),
          Array.from({ length: PER_KIND }, (_, i) => result({ probe: `stranger-${round}-${i}`, check: 'nope' })),
          [result({})],
        ];
        for (const results of batches) {
          const { status, answer } = await push(JSON.stringify({ results }));
          count('sent', results.length);
          count(`http ${status}`);
          for (const [k, v] of Object.entries(answer)) if (typeof v === 'number') count(k, v);
        }
        count(`http ${(await push(JSON.stringify({ results: [result({ message: 'x'.repeat(1900) })] }).padEnd(1_100_000, ' '))).status}`);
        count(`http ${(await push('{"results": [garbage')).status}`);
      }
      // Let the hourly file and journal be written as a stop writes them.
      await collector.stop();
      rows.push(['after stop', String(counts.sent ?? 0), '—', '—', '—', '—', kb(sizeOf(journal)), kb(sizeOf(hourlyPath(journal)))]);

      const growth: Table = {
        columns: ['time', 'results sent', 'collector RSS (MB)', '/metrics series', 'probes known', 'status page (KB)', 'journal (KB)', 'hourly file (KB)'],
        rows,
      };
      const outcomes: Table = {
        columns: ['outcome', 'results or pushes'],
        rows: Object.entries(counts)
          .filter(([k]) => k !== 'sent')
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([k, v]) => [k, String(v)]),
      };
      return {
        method: [
          `${version}; a collector process (\`vendorwatch collector\`, default limits: max_probes 500, max_result_age 7d, max_result_ahead 1m, max_body_bytes 1 MiB) on loopback, one vendor with one check.`,
          `For ${seconds} s, rounds of pushes from this process with the collector's token, one after another: ${PER_KIND} results from new probe ids, ${PER_KIND} with times at the epoch or in a new future hour each (from 70 years ahead), ${PER_KIND} for an unknown check from new probe ids, one honest result, a 1.1 MB body (over max_body_bytes) and a body that is not JSON.`,
          `Every ${SAMPLE_EVERY_MS / 1000} s: the collector's RSS (/proc), its /metrics sample lines, probes in /v1/probes, the status page's size, the journal and journal.hourly.jsonl sizes.`,
        ],
        tables: [
          { heading: 'The collector over time', table: growth },
          { heading: 'What the pushes were answered (200 counts per outcome; HTTP status per push)', table: outcomes },
        ],
        notes: [
          'The same load on commit f6a4d95, before these limits (one run, 90 s): every minted id became a probe, so at 76 s the collector knew 37,401 probes, exposed 149,735 series and served an 11.2 MB status page, its RSS went from 194 to 550–700 MB, the journal reached 32 MB (probe lines and one ProbeDown alert per minted id) and the hourly file 2 MB (a line per far-away hour). Now the probes stop at max_probes (500), so series, status page and journal level off (the journal grows once, by the 500 probes going down); refused results add nothing; the RSS levels off once the ids remembered for de-duplication (200,000) are full.',
          "The hourly file shows 0 KB: one line (about 250 bytes) for the honest probe's hour, written on stop.",
          'One run, not repeated: the point is the shape (flat or growing), not the exact numbers.',
        ],
      };
    });
  },
};
