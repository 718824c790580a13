/**
 * What a new process per check costs before any checking: wall time from spawn to exit of
 * `vendorwatch --version` and of `vendorwatch check --json` of one http check against loopback,
 * beside `node -e 0` (Node's own start, the floor for any Node CLI) and `curl -w` of the same URL.
 * One run at a time, contenders rotating round by round; ratios are taken within each round.
 */
import { buildCli } from '../bin/build.js';
import { distState } from '../bin/dist.js';
import { CLI } from '../test/support/processes.ts';
import { execute, pairedRatios, rotated, spread } from './measure.ts';
import { times, type Table } from './report.ts';

interface Command {
  name: string;
  what: string;
  argv: [string, ...string[]];
}

interface StartUp {
  command: Command;
  /** Wall ms per run, one per round. */
  ms: number[];
  failed: number;
  firstFailure?: string;
}

export function startUpCommands(configFile: string, check: string, url: string): Command[] {
  return [
    { name: 'node -e 0', what: 'Node starting and exiting, nothing loaded: the floor of any Node CLI', argv: [process.execPath, '-e', '0'] },
    { name: 'vendorwatch --version', what: 'node bin/vendorwatch.js --version', argv: [process.execPath, CLI, '--version'] },
    {
      name: 'vendorwatch check --json (one http check)',
      what: `node bin/vendorwatch.js check --json --config bench.yaml ${check}`,
      argv: [process.execPath, CLI, 'check', '--json', '--config', configFile, check],
    },
    { name: 'curl -w', what: `curl -s -o /dev/null -w '%{http_code}' URL (the same /ok)`, argv: ['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', url] },
  ];
}

/** `rounds` runs of each command, one at a time, in an order that rotates each round; the CLI is compiled first if dist/ is stale. */
export async function measureStartUp(commands: Command[], rounds: number, log: (line: string) => void): Promise<StartUp[]> {
  if (!distState().fresh) {
    log('start-up: dist/ is stale or missing, building it (what `npm ci` does)');
    await buildCli();
  }
  log(`start-up: ${rounds} round(s), each command once per round`);
  const results = commands.map((command): StartUp => ({ command, ms: [], failed: 0 }));
  for (let round = 0; round < rounds; round++) {
    for (const r of rotated(results, round)) {
      const [cmd, ...args] = r.command.argv;
      const started = performance.now();
      const { code, stderr } = await execute(cmd, args, { env: { VENDORWATCH_LOG_LEVEL: 'error' } });
      r.ms.push(performance.now() - started);
      if (code !== 0) {
        r.failed++;
        r.firstFailure ??= `exit ${code}: ${stderr.trim().slice(0, 200)}`;
      }
    }
  }
  return results;
}

export function startUpTable(results: StartUp[]): Table {
  const node = results[0]!;
  const curl = results.find((r) => r.command.name === 'curl -w');
  const ratio = (r: StartUp, base: StartUp | undefined) => {
    if (!base || r === base) return '1';
    const s = pairedRatios(r.ms, base.ms);
    return `${times(s.median)} (${times(s.p10)}–${times(s.p90)})`;
  };
  return {
    columns: ['command', 'runs', 'wall ms (median)', 'p10–p90', '× node -e 0 (same round)', '× curl -w (same round)', 'failed'],
    rows: results.map((r) => {
      const s = spread(r.ms);
      return [
        r.command.name,
        String(r.ms.length),
        s.median.toFixed(0),
        `${s.p10.toFixed(0)}–${s.p90.toFixed(0)}`,
        ratio(r, node),
        ratio(r, curl),
        r.failed ? `${r.failed}: ${r.firstFailure}` : '0',
      ];
    }),
  };
}
