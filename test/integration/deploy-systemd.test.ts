import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort, ROOT, start, tempDir, waitFor } from '../support/processes.ts';

// deploy/systemd/ checked by systemd-analyze, which needs no running systemd. `verify` requires
// ExecStart's program to exist, so each unit is checked in a temporary copy whose ExecStart runs
// this checkout with this Node (the units say /usr/bin/node and /opt/vendorwatch); the rest of the
// unit is checked as shipped.

const DIR = join(ROOT, 'deploy/systemd');
const hasSystemd = !spawnSync('systemd-analyze', ['--version']).error;
const NO_SYSTEMD = 'skipped: systemd-analyze is not installed (bin/setup --test installs systemd)';

/** The units in a temporary folder, ExecStart pointed at this checkout; templates verified as their eu-west instance. */
function unitsHere(): string[] {
  const dir = tempDir('vendorwatch-systemd-');
  const files = readdirSync(DIR).filter((f) => f.endsWith('.service'));
  for (const file of files) {
    const text = readFileSync(join(DIR, file), 'utf8').replaceAll('/usr/bin/node', process.execPath).replaceAll('/opt/vendorwatch/', `${ROOT}/`);
    writeFileSync(join(dir, file), text);
  }
  // An instance name finds its template in the same folder.
  return files.map((f) => join(dir, f.replace('@.service', '@eu-west.service')));
}

/**
 * A unit's ExecStart and WorkingDirectory as systemd expands them, for its instance `eu-west`: the
 * specifiers, then ${VAR} from `env` over the unit's Environment=, as an EnvironmentFile would.
 * The program is this Node and checkout, the config `config`, %S (/var/lib) `stateRoot`.
 */
function expandUnit(file: string, opts: { env: Record<string, string>; config: string; stateRoot: string }) {
  const unit = readFileSync(join(DIR, file), 'utf8');
  const specifiers = (s: string) => s.replaceAll('%S', opts.stateRoot).replaceAll('%i', 'eu-west').replaceAll('%l', hostname().split('.')[0]!);
  const line = (key: string) => [...unit.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => specifiers(m[1]!));
  const env: Record<string, string> = Object.fromEntries(line('Environment').flatMap((l) => l.split(' ').map((kv) => kv.split('=') as [string, string])));
  Object.assign(env, opts.env);
  const words = line('ExecStart')[0]!
    .split(' ')
    .map((w) =>
      w
        .replace(/\$\{(\w+)\}/g, (_, name: string) => env[name] ?? '')
        .replace('/usr/bin/node', process.execPath)
        .replace('/opt/vendorwatch/', `${ROOT}/`)
        .replace('/etc/vendorwatch/vendorwatch.yaml', opts.config),
    );
  const cwd = line('WorkingDirectory')[0]!;
  mkdirSync(cwd, { recursive: true }); // StateDirectory= makes it
  return { command: words[0]!, args: words.slice(1), cwd, env };
}

const analyze = (args: string[]) => spawnSync('systemd-analyze', args, { encoding: 'utf8' });

describe.skipIf(!hasSystemd)(`deploy/systemd${hasSystemd ? '' : ` (${NO_SYSTEMD})`}`, () => {
  it('has the collector and the probe template', () => {
    expect(readdirSync(DIR).sort()).toEqual(['vendorwatch-collector.service', 'vendorwatch-probe@.service']);
  });

  it('passes systemd-analyze verify without a warning', () => {
    for (const unit of unitsHere()) {
      // verify exits 0 on an unknown key or a bad value (it only warns), so a warning fails too.
      const out = analyze(['verify', '--man=no', unit]);
      expect(out.stderr, unit).toBe('');
      expect(out.status, unit).toBe(0);
    }
  });

  it('is hardened: an exposure level of at most 2.0 in systemd-analyze security', () => {
    for (const unit of unitsHere()) {
      const out = analyze(['security', '--offline=yes', '--threshold=20', '--no-pager', unit]);
      expect(out.status, `${unit}\n${out.stdout}`).toBe(0);
    }
  });

  it('runs the probe template in the region its instance names', () => {
    const probe = readFileSync(join(DIR, 'vendorwatch-probe@.service'), 'utf8');
    // %I would unescape eu-west into eu/west.
    expect(probe).toMatch(/^ExecStart=.* probe .*--region %i --id %l-%i /m);
    expect(probe).toMatch(/^StateDirectory=vendorwatch-probe-%i$/m);
  });

  it('runs as its ExecStart says: the probe instance pushes to the collector, each keeps its files in its state directory', async () => {
    const stateRoot = tempDir('vendorwatch-var-lib-');
    const config = join(stateRoot, 'vendorwatch.yaml');
    writeFileSync(
      config,
      `vendors: [{ name: acme-cdn, kind: cdn }]
checks: [{ name: nothing-listens, vendor: acme-cdn, kind: http, url: "http://127.0.0.1:1/", interval: 2s, timeout: 1s }]
`,
    );
    const collectorAt = `127.0.0.1:${await freePort()}`;
    const token = { VENDORWATCH_TOKEN: 'test-token' };
    const collector = expandUnit('vendorwatch-collector.service', { env: { ...token, VENDORWATCH_LISTEN: collectorAt }, config, stateRoot });
    const probe = expandUnit('vendorwatch-probe@.service', {
      env: { ...token, VENDORWATCH_LISTEN: `127.0.0.1:${await freePort()}`, VENDORWATCH_COLLECTORS: `http://${collectorAt}` },
      config,
      stateRoot,
    });
    const processes = [collector, probe].map((p) => start(p.command, p.args, { cwd: p.cwd, env: p.env }));
    try {
      const probeId = `${hostname().split('.')[0]}-eu-west`;
      await waitFor(
        async () => {
          for (const p of processes) if (p.child.exitCode !== null) throw new Error(`${p.child.spawnargs.join(' ')} exited: ${p.output()}`);
          const { probes } = (await (await fetch(`http://${collectorAt}/v1/probes`)).json()) as { probes: { id: string; region: string }[] };
          return probes.some((p) => p.id === probeId && p.region === 'eu-west');
        },
        { timeoutMs: 60_000, what: `probe ${probeId} at the collector` },
      );
      for (const p of processes) expect(await p.stop(), p.output()).toBe(0);
      expect(existsSync(join(stateRoot, 'vendorwatch/data/journal.jsonl'))).toBe(true);
      expect(existsSync(join(stateRoot, 'vendorwatch-probe-eu-west/data/spool'))).toBe(true);
    } finally {
      await Promise.all(processes.map((p) => p.stop()));
    }
  }, 120_000);
});
