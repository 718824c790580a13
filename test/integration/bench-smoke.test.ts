/**
 * The benchmarks keep working: `bench/run.ts --quick` runs every one of them against its real
 * contenders (blackbox_exporter, curl, NSD, Chromium, Prometheus, Alertmanager, the vendorwatch CLI
 * and collector) for a few iterations and writes its section into a copy of BENCHMARKS.md. Only
 * that rows come out is checked, never timings.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { execute } from '../../bench/measure.ts';
import { tempDir } from '../support/processes.ts';

const dir = tempDir('vendorwatch-bench-smoke-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const runBench = (args: string[], timeoutMs = 120_000) => execute(process.execPath, ['--import', 'tsx', 'bench/run.ts', ...args], { timeoutMs });

/** The cells of each row of the table under `**heading…**` in a Markdown section. */
function tableRows(section: string, heading: string): string[][] {
  const at = section.indexOf(`**${heading}`);
  expect(at, `no table "${heading}"`).toBeGreaterThanOrEqual(0);
  const lines = section.slice(at).split('\n').slice(2);
  const table = lines.slice(
    0,
    lines.findIndex((l) => !l.startsWith('|')),
  );
  return table.slice(2).map((l) => l.slice(2, -2).split(' | '));
}

function section(text: string, name: string): string {
  const m = new RegExp(`<!-- bench:${name} begin[^>]*-->\\n([\\s\\S]*?)<!-- bench:${name} end -->`).exec(text);
  expect(m, `no ${name} section`).toBeTruthy();
  return m![1]!;
}

describe('benchmarks (quick mode)', () => {
  it('each benchmark writes its section with a passing row per contender, replacing only its own', async () => {
    // Two files, so the benchmarks can run at once: one replaces a stale section, one starts a new file.
    const existing = join(dir, 'existing.md');
    const fresh = join(dir, 'fresh.md');
    writeFileSync(existing, '# Benchmarks\n\n<!-- bench:http begin -->\nstale numbers\n<!-- bench:http end -->\n\nText after the section stays.\n');
    const runs = await Promise.all([runBench(['--quick', '--write', '--file', existing, 'http']), runBench(['--quick', '--write', '--file', fresh, 'dns'])]);
    for (const { code, stderr } of runs) expect(code, stderr).toBe(0);
    const text = readFileSync(existing, 'utf8');
    expect(text).not.toContain('stale numbers');
    expect(text.indexOf('<!-- bench:http end -->')).toBeLessThan(text.indexOf('Text after the section stays.'));

    for (const [name, file, stdout, accuracyHeading] of [
      ['http', existing, runs[0].stdout, 'Timing accuracy (error against'],
      ['dns', fresh, runs[1].stdout, 'Timing accuracy (error of the total'],
    ] as const) {
      const body = section(readFileSync(file, 'utf8'), name);
      expect(stdout.trim()).toBe(body.trim());
      expect(body).toContain(`npm run bench -- ${name}`);
      const contenders = tableRows(body, 'Contenders').map((r) => r[0]);
      expect(contenders).toEqual(expect.arrayContaining(['vendorwatch check runner', 'vendorwatch check --json', 'blackbox_exporter']));

      const throughput = tableRows(body, 'Throughput');
      expect(throughput.map((r) => r[0])).toEqual(contenders);
      for (const [contender, rate, , , , , failed] of throughput) {
        expect(Number(rate), `${name} ${contender} checks/s`).toBeGreaterThan(0);
        expect(failed, `${name} ${contender} failures`).toBe('0');
      }

      const accuracy = tableRows(body, accuracyHeading);
      expect(accuracy.map((r) => r[0])).toEqual(contenders);
      for (const row of accuracy) {
        expect(row.at(-1), `${name} ${row[0]} failures`).toBe('0');
        expect(
          row.slice(3, -1).every((cell) => Number.isFinite(Number(cell))),
          `${name} ${row.join(' | ')}`,
        ).toBe(true);
      }
    }
  });

  it('the browser benchmark writes its timing, first-run and memory tables with passing rows', { timeout: 150_000 }, async () => {
    const file = join(dir, 'browser.md');
    const { code, stdout, stderr } = await runBench(['--quick', '--write', '--file', file, 'browser']);
    expect(code, stderr).toBe(0);
    const body = section(readFileSync(file, 'utf8'), 'browser');
    expect(stdout.trim()).toBe(body.trim());
    const positive = (cell: string | undefined, what: string) => expect(Number(cell), what).toBeGreaterThan(0);
    /** "12.3 (4.56–7.89)" or "12.3", nothing else (no NaN, no Infinity). */
    const finite = (cell: string | undefined, what: string) => expect(cell, what).toMatch(/^-?\d+(\.\d+)?( \(-?\d+(\.\d+)?–-?\d+(\.\d+)?\))?$/);

    const contenders = ['vendorwatch check runner', 'vendorwatch check runner, trace off', 'bare playwright-core'];
    expect(tableRows(body, 'Contenders').map((r) => r[0])).toEqual([...contenders, 'vendorwatch check --json']);

    const times = tableRows(body, 'Time per run');
    expect(times.map((r) => `${r[0]} / ${r[1]}`)).toEqual(['page load', 'checkout'].flatMap((s) => contenders.map((c) => `${s} / ${c}`)));
    for (const [scenario, contender, runs, wall, , reported, page, failed] of times) {
      const what = `${scenario} ${contender}`;
      expect(failed, what).toBe('0');
      positive(runs, what);
      positive(wall, what);
      positive(page, what);
      if (contender !== 'bare playwright-core') positive(reported, what);
    }
    for (const row of tableRows(body, 'Overhead per run')) {
      // Bare Playwright has no check of its own to report a total.
      const cells = row[1] === 'bare playwright-core' ? [row[2], ...row.slice(4)] : row.slice(2);
      cells.forEach((cell) => finite(cell, row.join(' | ')));
    }

    const firstRuns = tableRows(body, 'First run');
    expect(firstRuns).toHaveLength(3);
    for (const [contender, , first, , , steady, , failed] of firstRuns) {
      expect(failed, contender).toBe('0');
      positive(first, contender);
      positive(steady, contender);
    }

    const memory = tableRows(body, 'Memory of the Chromium process tree');
    expect(memory.map((r) => r[0])).toEqual(contenders);
    for (const [contender, idle, one, two, slope] of memory) {
      [idle, one, two].forEach((cell) => positive(cell, contender!));
      finite(slope, contender!);
    }
  });

  it(
    'detect: both paths page and resolve every outage trial, count notifications per incident, and a flapping probe pages nobody',
    { timeout: 300_000 },
    async () => {
      const file = join(dir, 'detect.md');
      // Eight vendorwatch processes, Prometheus and Alertmanager start on a machine others share: room to be slow.
      const { code, stdout, stderr } = await runBench(['--quick', '--write', '--file', file, 'detect'], 270_000);
      expect(code, stderr).toBe(0);
      const body = section(readFileSync(file, 'utf8'), 'detect');
      expect(stdout.trim()).toBe(body.trim());
      expect(tableRows(body, 'Contenders').map((r) => r[0])).toEqual(['collector', 'prometheus', '(both)']);
      const byKind = (kinds: string[]) => kinds.flatMap((kind) => [`${kind} / collector`, `${kind} / prometheus`]);
      const outages = ['simultaneous', 'spreading', 'thin outage'];

      // Counts only, never what they are: a loaded machine can time out a probe's run and make a real page.
      const counts = tableRows(body, 'Notifications per incident');
      expect(counts.map((r) => `${r[0]} / ${r[1]}`)).toEqual(byKind([...outages, 'thin blip']));
      for (const [kind, path, trials, notifications, pages, identities, , falsePages] of counts) {
        const what = `${kind}, ${path}`;
        expect(trials, what).toBe('1');
        for (const cell of [notifications, pages, identities, falsePages]) expect(cell, what).toMatch(/^\d+$/);
        if (kind !== 'thin blip') expect(Number(pages), `${what}: pages`).toBeGreaterThanOrEqual(1);
      }

      const times = tableRows(body, 'Time to detect and to resolve');
      expect(times.map((r) => `${r[0]} / ${r[1]}`)).toEqual(byKind(outages));
      for (const [kind, path, , detectMedian, , , resolveMedian, , , bound, missed] of times) {
        expect(missed, `${kind}, ${path}: missed`).toBe('0');
        for (const cell of [detectMedian, resolveMedian]) expect(Number.isFinite(Number(cell)), `${kind}, ${path}: ${cell}`).toBe(true);
        expect(bound).toMatch(/^≤ \d+\.\d\d /);
      }
      for (const row of tableRows(body, 'Where the time goes')) {
        expect(
          row.filter((cell) => /^\d+\.\d\d \(\d+\.\d\d\)$/.test(cell)),
          row.join(' | '),
        ).toHaveLength(6);
      }

      const falseAlerts = tableRows(body, 'False alerts');
      const runName = (cell: string) => cell.replace(/[,(].*/, '').trim();
      expect(falseAlerts.map((r) => `${r[1]} / ${runName(r[0])}`)).toEqual(
        ['collector', 'prometheus'].flatMap((p) => [`${p} / one flapping probe`, `${p} / all trials`]),
      );
      for (const [run, path, notifications, pages, apiAlerts] of falseAlerts.filter((r) => runName(r[0]) === 'one flapping probe')) {
        expect([notifications, pages, apiAlerts], `${run}, ${path}`).toEqual(['0', '0', '0']);
      }
    },
  );

  it('consensus: the collector and both ceilings take every push, and evaluation times and vendor states come out', { timeout: 150_000 }, async () => {
    const file = join(dir, 'consensus.md');
    const { code, stdout, stderr } = await runBench(['--quick', '--write', '--file', file, 'consensus']);
    expect(code, stderr).toBe(0);
    const body = section(readFileSync(file, 'utf8'), 'consensus');
    expect(stdout.trim()).toBe(body.trim());
    const positive = (cell: string | undefined) => Number(cell?.replaceAll(',', '')) > 0;

    const evaluation = tableRows(body, 'State evaluation in process');
    expect(evaluation.map((r) => r[0])).toEqual(['6 × 50']);
    for (const row of evaluation) expect(row.slice(1, 5).every(positive), row.join(' | ')).toBe(true);
    for (const row of tableRows(body, 'Evaluation time in the collector process')) expect(row.slice(1, 3).every(positive), row.join(' | ')).toBe(true);

    // The collector process judges the fleet as the Collector in the benchmark's own process does.
    const states = tableRows(body, 'Vendor states reached');
    expect(states).toContainEqual(['regional_outage', '1', '1']);
    for (const [state, inProcess, collector] of states) expect(collector, state).toBe(inProcess);

    const servers = ['parse only', 'parse + zod validate', 'vendorwatch collector'];
    const ingest = tableRows(body, 'Ingest, closed loop');
    expect(ingest.map((r) => r[0])).toEqual([...servers, ...servers]);
    for (const row of ingest) {
      expect(positive(row[2]), `${row[0]} results/s`).toBe(true);
      expect(row.at(-1), `${row[0]} failures`).toBe('0');
    }
    const paced = tableRows(body, "Ingest at the fleet's own pace");
    expect(paced.map((r) => r[0])).toEqual(servers);
    for (const row of paced) {
      expect(row[3], `${row[0]} accepted`).toBe(row[2]);
      expect(row.at(-1), `${row[0]} failures`).toBe('0');
    }
    for (const row of tableRows(body, 'Memory')) expect(row.slice(1).every(positive), row.join(' | ')).toBe(true);
  });

  it('the beacon benchmark measures sizes, page views in Chromium and ingest with every beacon accepted', { timeout: 150_000 }, async () => {
    const file = join(dir, 'beacon.md');
    const { code, stdout, stderr } = await runBench(['--quick', '--write', '--file', file, 'beacon']);
    expect(code, stderr).toBe(0);
    const body = section(readFileSync(file, 'utf8'), 'beacon');
    expect(stdout.trim()).toBe(body.trim());

    const sizes = tableRows(body, 'Script size');
    expect(sizes.map((r) => r[0])).toEqual(expect.arrayContaining(['beacon.js', 'web-vitals as the beacon bundles it', 'web-vitals.attribution.iife.js']));
    for (const row of sizes)
      expect(
        row.slice(2).every((cell) => Number(cell.replaceAll(',', '')) > 0),
        row.join(' | '),
      ).toBe(true);

    // Every page view sent one beacon, and the real collector took it.
    const payload = tableRows(body, 'Payload per page view');
    expect(payload.map((r) => r[1])).toEqual(expect.arrayContaining(['tab hidden', 'page left']));
    for (const row of payload) {
      expect(row[3], row.join(' | ')).toBe('1');
      expect(row.at(-1), row.join(' | ')).toBe('204');
    }
    expect(payload.filter((r) => r[1] === 'tab hidden').every((r) => r[4] === 'gzip')).toBe(true);

    const ingest = tableRows(body, 'Ingest throughput');
    expect(ingest.map((r) => r[0])).toEqual(['bare node:http (204)', 'bare node:http (204)', 'vendorwatch collector', 'vendorwatch collector']);
    for (const row of ingest) {
      expect(Number(row[2]), row.join(' | ')).toBeGreaterThan(0);
      expect(row[8], `non-2xx: ${row.join(' | ')}`).toBe('0');
    }
    expect(tableRows(body, 'Server memory').map((r) => r[1])).toEqual(['1', '1']);
    expect(body).toMatch(/vendorwatch_rum_beacons_total\{result="accepted"\} is ([\d,]+) for \1 answers 204\./);
  });

  it(
    'rules-scale: Prometheus judges every vendor from remote-written votes and pages on the fault; the collector takes every push',
    { timeout: 200_000 },
    async () => {
      const file = join(dir, 'rules-scale.md');
      const { code, stdout, stderr } = await runBench(['--quick', '--write', '--file', file, 'rules-scale'], 180_000);
      expect(code, stderr).toBe(0);
      const body = section(readFileSync(file, 'utf8'), 'rules-scale');
      expect(stdout.trim()).toBe(body.trim());
      const [rules] = tableRows(body, 'Prometheus evaluating');
      expect(Number(rules![2]!.replaceAll(',', '')), rules!.join(' | ')).toBeGreaterThan(0);
      expect(Number(rules![11]), `fault → page: ${rules!.join(' | ')}`).toBeGreaterThan(0);
      expect(rules![12], rules!.join(' | ')).toBe('0');
      const [collector] = tableRows(body, 'The collector at the same sizes');
      expect(collector![10], collector!.join(' | ')).toBe('0');
      expect(tableRows(body, 'Where the consensus group').map((r) => r[0])).toContain('vendorwatch:region_failing:bool');
    },
  );

  it('names the benchmarks there are when asked for one that is not', async () => {
    const { code, stderr } = await runBench(['--quick', 'nosuch']);
    expect(code).toBe(2);
    expect(stderr).toContain('unknown benchmark(s): nosuch; there are: http, dns, detect, consensus, browser, beacon');
  });
});
