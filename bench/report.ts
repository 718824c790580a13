/**
 * What a benchmark reports and how it is written: Markdown tables, one section per benchmark,
 * and BENCHMARKS.md updated between per-benchmark markers so each section can be refreshed alone.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { Accuracy, AccuracyOptions, Contender, Machine, Spread, Throughput, ThroughputOptions, TimedPhase } from './measure.ts';
import { pairedRatios, spread } from './measure.ts';

export interface Table {
  columns: string[];
  rows: string[][];
}

/** A benchmark's findings, before the machine facts and markers are added. */
interface Findings {
  /** How it measures, as Markdown list items. */
  method: string[];
  tables: { heading: string; table: Table }[];
  /** What to keep in mind reading the numbers, as Markdown list items. */
  notes: string[];
}

export interface Benchmark {
  /** What `npm run bench -- NAME` selects, and the BENCHMARKS.md marker. */
  name: string;
  title: string;
  run(opts: { quick: boolean; log: (line: string) => void }): Promise<Findings>;
}

interface RunFacts {
  machine: Machine;
  loadBefore: number[];
  loadAfter: number[];
  date: string;
  seconds: number;
  quick: boolean;
}

function markdownTable({ columns, rows }: Table): string {
  const line = (cells: string[]) => `| ${cells.map((c) => c.replaceAll('|', '\\|')).join(' | ')} |`;
  return [line(columns), line(columns.map(() => '---')), ...rows.map(line)].join('\n');
}

export function renderSection(bench: Benchmark, findings: Findings, facts: RunFacts): string {
  const loads = (l: number[]) => l.map((v) => v.toFixed(2)).join(' / ');
  const { cpu, cores, os, node } = facts.machine;
  return [
    `## ${bench.title}`,
    '',
    ...(facts.quick ? ['**Quick mode (smoke test): too few iterations for the numbers to mean anything.**', ''] : []),
    `Reproduce: \`npm run bench -- ${bench.name}\` (add \`--write\` to refresh this section).`,
    '',
    `Ran ${facts.date} in ${Math.round(facts.seconds)} s on ${cpu}, ${cores} cores, ${os}, Node ${node}; ` +
      `load average (1/5/15 min) ${loads(facts.loadBefore)} before, ${loads(facts.loadAfter)} after.`,
    '',
    ...findings.method.map((m) => `- ${m}`),
    '',
    ...findings.tables.flatMap(({ heading, table }) => [`**${heading}**`, '', markdownTable(table), '']),
    ...findings.notes.map((n) => `- ${n}`),
  ].join('\n');
}

/** Replaces the benchmark's section between its markers, or appends it when the file has none yet. */
export function writeSection(file: string, name: string, markdown: string): void {
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const block = `<!-- bench:${name} begin (written by npm run bench -- ${name} --write) -->\n${markdown.trimEnd()}\n<!-- bench:${name} end -->`;
  const marked = new RegExp(`<!-- bench:${name} begin[^>]*-->[\\s\\S]*?<!-- bench:${name} end -->`);
  if (marked.test(text))
    writeFileSync(
      file,
      text.replace(marked, () => block),
    );
  else writeFileSync(file, `${text.trimEnd()}${text ? '\n\n' : ''}${block}\n`);
}

// --- Method and tables every comparison uses ---

export function throughputMethod(o: ThroughputOptions, against: string): string {
  return (
    `Throughput: each contender keeps ${o.concurrency} checks in flight against ${against} for ${o.seconds} s per round` +
    `${o.warmupSeconds ? ` (after an unrecorded ${o.warmupSeconds} s warm-up)` : ''}, ${o.rounds} round${o.rounds === 1 ? '' : 's'}, ` +
    'contenders taking turns in an order that rotates each round; checks/s counts passing checks over the whole span, ' +
    "the last checks' drain included. The ratio is a contender's rate over the first contender's in the same round, median (p10–p90) over rounds."
  );
}

export function accuracyMethod(o: AccuracyOptions, against: string, phases: string): string {
  return (
    `Accuracy: one check at a time against ${against}, for N in ${o.delaysMs.map((d) => `${d} ms`).join(' and ')}; ` +
    `${o.samples} sample${o.samples === 1 ? '' : 's'} per contender and delay (${o.slowSamples} for \`vendorwatch check --json\`, which starts Node per check), ` +
    `contenders and delays interleaved; error = |reported ${phases} − N|, in ms.`
  );
}

/** Notes that hold for every comparison. */
export const COMMON_NOTES = [
  'blackbox_exporter is measured as Prometheus uses it: each probe is an HTTP request to the exporter (one kept-alive connection), whose metrics text is then parsed.',
  'The machine is shared and its load varies: compare contenders by the ratios measured in the same round, not numbers across runs.',
];

// --- Tables every comparison uses ---

const ms = (seconds: number) => (seconds * 1000).toFixed(2);
const rate = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
export const times = (v: number) => (v >= 10 ? v.toFixed(0) : v >= 0.1 ? v.toFixed(2) : v.toPrecision(2));
export const range = (s: Spread, format: (v: number) => string) => `${format(s.p10)}–${format(s.p90)}`;
export const failures = (failed: number, checks: number, first?: string) => (failed ? `${failed} of ${checks}: ${first ?? ''}`.slice(0, 120) : '0');

export function contendersTable(contenders: readonly Pick<Contender<unknown>, 'name' | 'version' | 'command'>[]): Table {
  return { columns: ['contender', 'version', 'what runs per check'], rows: contenders.map((c) => [c.name, c.version, c.command]) };
}

/** Checks/s per contender, and each one's rate relative to the first (the baseline), paired by round. */
export function throughputTable(results: readonly Throughput[]): Table {
  const base = results[0]!;
  return {
    columns: ['contender', 'checks/s (median)', 'p10–p90', `× ${base.contender}`, 'rounds', 'checks', 'failed'],
    rows: results.map((r) => {
      const s = r.rates.length ? spread(r.rates) : undefined;
      const ratio = pairedRatios(r.rates, base.rates);
      return [
        r.contender,
        s ? rate(s.median) : '–',
        s ? range(s, rate) : '–',
        r === base ? '1' : `${times(ratio.median)} (${range(ratio, times)})`,
        String(r.rates.length),
        String(r.checks),
        failures(r.failed, r.checks, r.firstFailure),
      ];
    }),
  };
}

/** Absolute error against the known delay, per contender and delay, for the phases given. */
export function accuracyTable(results: readonly Accuracy[], phases: readonly TimedPhase[]): Table {
  return {
    columns: ['contender', 'delay', 'samples', ...phases.flatMap((p) => [`${p} median |error| ms`, `${p} p90 |error| ms`]), 'failed'],
    rows: results.map((r) => {
      const n = Math.max(0, ...phases.map((p) => r.errors[p]?.n ?? 0));
      return [
        r.contender,
        `${r.delayMs} ms`,
        String(n),
        ...phases.flatMap((p) => {
          const e = r.errors[p];
          return e ? [ms(e.median), ms(e.p90)] : ['–', '–'];
        }),
        failures(r.failed, n + r.failed, r.firstFailure),
      ];
    }),
  };
}
