import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { ROOT, runCli } from '../support/processes.ts';

// deploy/compose.yaml, the three-region lab, checked by Debian's docker-compose 1.29
// (`docker-compose config` resolves and validates the file without a Docker engine), and the
// configs it mounts by the tools that read them: vendorwatch, promtool and amtool.

const COMPOSE = join(ROOT, 'deploy/compose.yaml');
const run = (cmd: string, args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env } });
const hasCompose = !run('docker-compose', ['version']).error;
const NO_COMPOSE = 'skipped: docker-compose is not installed (bin/setup --test installs it)';

interface ComposeService {
  image: string;
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
}

/** The file as docker-compose resolves it: anchors merged, paths absolute, variables filled in. */
function resolved(): Record<string, ComposeService> {
  const out = run('docker-compose', ['-f', COMPOSE, 'config'], { VENDORWATCH_TOKEN: 'test-token' });
  expect(out.stderr).toBe('');
  return parseYaml(out.stdout).services;
}

describe.skipIf(!hasCompose)(`deploy/compose.yaml${hasCompose ? '' : ` (${NO_COMPOSE})`}`, () => {
  it('is valid for docker-compose 1.29', () => {
    const out = run('docker-compose', ['-f', COMPOSE, 'config', '-q'], { VENDORWATCH_TOKEN: 'test-token' });
    expect(out.stderr).toBe('');
    expect(out.status).toBe(0);
  });

  it('refuses to start without VENDORWATCH_TOKEN, and says so', () => {
    const out = run('docker-compose', ['-f', COMPOSE, 'config', '-q'], { VENDORWATCH_TOKEN: undefined });
    expect(out.status).not.toBe(0);
    expect(out.stderr).toContain('set VENDORWATCH_TOKEN first');
  });

  it('runs a collector and one probe per region, each probe pushing to the collector with the token', () => {
    const services = resolved();
    const vendorwatch = Object.entries(services).filter(([, s]) => s.image === 'vendorwatch:lab');
    const probes = vendorwatch.filter(([, s]) => s.command![0] === 'probe');
    const regions = probes.map(([, s]) => s.command![s.command!.indexOf('--region') + 1]);
    expect(regions.sort()).toEqual(['ap-south', 'eu-west', 'us-east']);
    for (const [, probe] of probes) expect(probe.command![probe.command!.indexOf('--collector') + 1]).toBe('http://collector:9797');
    expect(services.collector!.command![0]).toBe('collector');
    for (const [name, s] of vendorwatch) {
      expect(s.environment?.VENDORWATCH_TOKEN, name).toBe('test-token');
      expect(s.volumes, name).toContainEqual(expect.stringMatching(/:\/app\/data:rw$/));
    }
  });

  it('has Prometheus scrape every vendorwatch container', () => {
    const services = resolved();
    const vendorwatch = Object.keys(services).filter((name) => services[name]!.image === 'vendorwatch:lab');
    const prometheus = parseYaml(readFileSync(join(ROOT, 'deploy/compose/prometheus.yml'), 'utf8'));
    const targets = prometheus.scrape_configs.flatMap((job: { static_configs: { targets: string[] }[] }) => job.static_configs.flatMap((c) => c.targets));
    expect(targets.sort()).toEqual(vendorwatch.map((name) => `${name}:9797`).sort());
  });

  it('mounts configs that vendorwatch validate, promtool and amtool accept', async () => {
    const { code, stdout, stderr } = await runCli(['validate', '--config', 'deploy/compose/vendorwatch.yaml']);
    expect(`${stdout}${stderr}`).toMatch(/: ok \(/);
    expect(code).toBe(0);
    const promtool = run('promtool', ['check', 'config', 'deploy/compose/prometheus.yml']);
    expect(promtool.status, promtool.stdout + promtool.stderr).toBe(0);
    const amtool = run('amtool', ['check-config', 'deploy/compose/alertmanager.yml']);
    expect(amtool.status, amtool.stdout + amtool.stderr).toBe(0);
  });
});
