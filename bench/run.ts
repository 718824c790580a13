/**
 * Runs the benchmarks and prints a Markdown section per benchmark.
 *
 *   npm run bench                    all of them
 *   npm run bench -- dns http        the named ones, in that order (http, dns, detect, consensus, browser, beacon, soak, rules-scale)
 *   npm run bench -- --write         also refresh their sections of BENCHMARKS.md
 *   npm run bench -- --quick         a few iterations only (the smoke test; numbers mean nothing)
 *   --file F                         update F instead of BENCHMARKS.md
 *
 * Progress goes to stderr; the Markdown to stdout.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT } from '../test/support/processes.ts';
import { beaconBenchmark } from './beacon.ts';
import { browserCheckBenchmark } from './browser.ts';
import { detectBenchmark } from './detect.ts';
import { consensusBenchmark } from './consensus.ts';
import { dnsCheckBenchmark } from './dns-check.ts';
import { httpCheckBenchmark } from './http-check.ts';
import { load, machine } from './measure.ts';
import { renderSection, writeSection, type Benchmark } from './report.ts';
import { rulesScaleBenchmark } from './rules-scale.ts';
import { soakBenchmark } from './soak.ts';

const benchmarks: Benchmark[] = [
  httpCheckBenchmark,
  dnsCheckBenchmark,
  detectBenchmark,
  consensusBenchmark,
  browserCheckBenchmark,
  beaconBenchmark,
  soakBenchmark,
  rulesScaleBenchmark,
];

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    quick: { type: 'boolean', default: false },
    write: { type: 'boolean', default: false },
    file: { type: 'string', default: resolve(ROOT, 'BENCHMARKS.md') },
  },
});

const unknown = positionals.filter((name) => !benchmarks.some((b) => b.name === name));
if (unknown.length) {
  process.stderr.write(`unknown benchmark(s): ${unknown.join(', ')}; there are: ${benchmarks.map((b) => b.name).join(', ')}\n`);
  process.exit(2);
}
const chosen = positionals.length ? positionals.map((name) => benchmarks.find((b) => b.name === name)!) : benchmarks;
const log = (line: string) => process.stderr.write(`${line}\n`);

for (const bench of chosen) {
  log(`${bench.name}: starting`);
  const started = performance.now();
  const loadBefore = load();
  const findings = await bench.run({ quick: values.quick, log: (line) => log(`${bench.name}: ${line}`) });
  const section = renderSection(bench, findings, {
    machine: machine(),
    loadBefore,
    loadAfter: load(),
    date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
    seconds: (performance.now() - started) / 1000,
    quick: values.quick,
  });
  process.stdout.write(`${section}\n`);
  if (values.write) {
    writeSection(values.file, bench.name, section);
    log(`${bench.name}: written to ${values.file}`);
  }
}
