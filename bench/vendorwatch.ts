/**
 * vendorwatch as a contender, two ways: its check runner called in this process (`runCheck` on a
 * config read by `parseConfig`: the check itself, no process start-up), and `vendorwatch check
 * --json NAME` as a user runs it (a new Node process per check). Both read only the CheckResult
 * contract (ok, reason, message, phases.ttfb, phases.total), never a check kind's internals.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { parseConfig } from '../config/load.ts';
import type { CheckResult } from '../config/result.ts';
import type { Config } from '../config/schema.ts';
import { runCheck } from '../agent/probe/checks/index.ts';
import { CLI, ROOT, tempDir } from '../test/support/processes.ts';
import { execute, type Contender, type Sample } from './measure.ts';

/** vendorwatch on a config written for one benchmark, ready to make contenders. */
export interface Vendorwatch {
  /** "vendorwatch 0.1.0 (3119e8a)": the package version and the commit measured ("-dirty" with local changes). */
  version: string;
  /** The config as vendorwatch read it, and its file. */
  config: Config;
  configFile: string;
  /** Runs the named check in this process and returns its whole CheckResult. */
  check(name: string): Promise<CheckResult>;
  /** The check runner in this process; for a target it runs the check named `checkFor(target)`. */
  runner<T>(name: string, command: string, checkFor: (target: T) => string): Contender<T>;
  /** `vendorwatch check --json NAME` in a new Node process per check. */
  command<T>(checkFor: (target: T) => string): Contender<T>;
  /** Removes the config file. */
  close(): void;
}

/** Writes the config (YAML text) to a temporary file and reads it back as vendorwatch does. */
export async function vendorwatchOn(yaml: string): Promise<Vendorwatch> {
  const dir = tempDir('vendorwatch-bench-');
  const file = join(dir, 'vendorwatch.yaml');
  writeFileSync(file, yaml);
  const config = parseConfig(yaml, file);
  const version = await vendorwatchVersion();
  const inProcess = checkRunner(config);
  const endToEnd = checkCommand(file);
  return {
    version,
    config,
    configFile: file,
    check: inProcess,
    runner: (name, command, checkFor) => ({ name, version, command, run: async (t) => sampleOf(await inProcess(checkFor(t))) }),
    command: (checkFor) => ({
      name: 'vendorwatch check --json',
      version,
      command: 'node bin/vendorwatch.js check --json --config bench.yaml NAME (a new Node process per check)',
      slow: true,
      run: (t) => endToEnd(checkFor(t)),
    }),
    close: () => rmSync(dir, { recursive: true, force: true }),
  };
}

function sampleOf(result: CheckResult): Sample {
  return {
    ok: result.ok,
    ...(result.phases.ttfb !== undefined && { ttfb: result.phases.ttfb }),
    ...(result.phases.total !== undefined && { total: result.phases.total }),
    ...(!result.ok && { message: `${result.reason}: ${result.message}` }),
  };
}

/** Runs a named check of the config in this process, as the scheduler would (timeout as its signal). */
function checkRunner(config: Config): (check: string) => Promise<CheckResult> {
  const logger = pino({ level: 'silent' });
  return async (name) => {
    const check = config.checks.find((c) => c.name === name);
    if (!check) throw new Error(`no check "${name}" in the benchmark config`);
    return runCheck(check, { signal: AbortSignal.timeout(check.timeout), probe: { id: 'bench', region: 'local' }, logger, vendors: config.vendors });
  };
}

/** Runs `vendorwatch check --json NAME` in a new process and reads its one result line. */
function checkCommand(file: string): (check: string) => Promise<Sample> {
  return async (name) => {
    const { code, stdout, stderr } = await execute(process.execPath, [CLI, 'check', '--json', '--config', file, name], {
      env: { VENDORWATCH_LOG_LEVEL: 'error' },
    });
    const line = stdout.split('\n').find((l) => l.startsWith('{'));
    if (!line) return { ok: false, message: `exit ${code}: ${stderr.trim().slice(0, 300)}` };
    return sampleOf(JSON.parse(line) as CheckResult);
  };
}

/** "vendorwatch 0.1.0 (3119e8a)": the package version and the commit measured. */
export async function vendorwatchVersion(): Promise<string> {
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  const { code, stdout } = await execute('git', ['-C', ROOT, 'describe', '--always', '--abbrev=7'], { timeoutMs: 10_000 });
  if (code !== 0) return `vendorwatch ${version}`;
  // `npm run bench -- --write` rewrites BENCHMARKS.md as it goes; that is no change to what is measured.
  const changed = await execute('git', ['-C', ROOT, 'status', '--porcelain', '--', '.', ':(exclude)BENCHMARKS.md'], { timeoutMs: 10_000 });
  return `vendorwatch ${version} (${stdout.trim()}${changed.stdout.trim() ? '-dirty' : ''})`;
}
