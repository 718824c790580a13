import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, runCli, start, tempDir, waitFor, type Running } from './processes.ts';

/** `vendorwatch rules` for `config`, written to `dir`/rules.yaml: the file's path. */
export async function writeRules(config: string, dir: string): Promise<string> {
  const { code, stdout, stderr } = await runCli(['rules', '--config', config]);
  if (code !== 0 || stderr) throw new Error(`vendorwatch rules exited ${code}: ${stderr}`);
  const file = join(dir, 'rules.yaml');
  writeFileSync(file, stdout);
  return file;
}

/** Runs promtool with the given arguments (and stdin); returns its exit status and output. */
export function promtool(args: string[], opts: { input?: string; cwd?: string } = {}): { status: number | null; output: string } {
  const r = spawnSync('promtool', args, { input: opts.input, cwd: opts.cwd, encoding: 'utf8' });
  if (r.error) throw new Error(`promtool not found (install Debian package prometheus): ${r.error.message}`);
  return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
}

/** Runs `promtool check metrics` on an exposition; returns its complaints (empty when clean). */
export function promtoolCheckMetrics(exposition: string): { status: number | null; output: string } {
  return promtool(['check', 'metrics'], { input: exposition });
}

export interface Prometheus extends Running {
  url: string;
  query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
}

/**
 * A real Prometheus on a loopback port scraping the given targets every second (and evaluating rule
 * files every second); with `alertmanager`, its alerts go there, carrying `externalLabels`. With
 * `remoteWriteReceiver` it also takes remote writes at `<url>/api/v1/write`; with no targets it
 * scrapes nothing at all.
 */
export async function startPrometheus(
  targets: string[],
  opts: { ruleFiles?: string[]; alertmanager?: string; externalLabels?: Record<string, string>; remoteWriteReceiver?: boolean } = {},
): Promise<Prometheus> {
  const dir = tempDir('vendorwatch-prom-');
  const port = await freePort();
  const alerting = opts.alertmanager
    ? `alerting: { alertmanagers: [{ static_configs: [{ targets: [${JSON.stringify(new URL(opts.alertmanager).host)}] }] }] }\n`
    : '';
  writeFileSync(
    join(dir, 'prometheus.yml'),
    `global: { scrape_interval: 1s, evaluation_interval: 1s, external_labels: ${JSON.stringify(opts.externalLabels ?? {})} }
rule_files: ${JSON.stringify(opts.ruleFiles ?? [])}
${alerting}${
      targets.length
        ? `scrape_configs:
  - job_name: vendorwatch
    static_configs: [{ targets: ${JSON.stringify(targets)} }]
`
        : ''
    }`,
  );
  const proc = start('prometheus', [
    `--config.file=${join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--log.level=warn',
    ...(opts.remoteWriteReceiver ? ['--web.enable-remote-write-receiver'] : []),
  ]);
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${url}/-/ready`)).ok, { what: `Prometheus ready\n${proc.output()}` });
  return {
    ...proc,
    url,
    async query(expr) {
      const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const body = (await res.json()) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
      return body.data.result;
    },
  };
}
