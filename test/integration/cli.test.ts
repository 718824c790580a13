import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configJsonSchema } from '../../config/jsonSchema.ts';
import { configReference } from '../../config/reference.ts';
import { checkResultSchema } from '../../config/result.ts';
import { runCli, tempDir } from '../support/processes.ts';

let server: Server;
let base: string;
const dir = tempDir();
const config = join(dir, 'vendorwatch.yaml');

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/ok') return res.end('fine');
    res.statusCode = 503;
    res.end('down');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  writeFileSync(
    config,
    `vendors: [{ name: acme-cdn, kind: cdn }]
checks:
  - { name: up, vendor: acme-cdn, kind: http, url: "${base}/ok" }
  - { name: down, vendor: acme-cdn, kind: http, url: "${base}/down" }
  - { name: nothing-listens, vendor: acme-cdn, kind: http, url: "http://127.0.0.1:1/" }
`,
  );
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('vendorwatch check', () => {
  it('prints one valid CheckResult per line and exits 0 when all passed', async () => {
    const { code, stdout } = await runCli(['check', 'up', '--json', '--config', config]);
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const result = checkResultSchema.parse(JSON.parse(lines[0]!));
    expect(result).toMatchObject({ check: 'up', vendor: 'acme-cdn', kind: 'http', role: 'delivery', ok: true, reason: 'ok' });
    expect(result.details).toMatchObject({ status: 200 });
    expect(result.phases.total).toBeGreaterThan(0);
  });

  it('exits 1 when a check fails and says why', async () => {
    const { code, stdout } = await runCli(['check', '--json', '--config', config]);
    expect(code).toBe(1);
    const results = stdout
      .trim()
      .split('\n')
      .map((l) => checkResultSchema.parse(JSON.parse(l)));
    const by = Object.fromEntries(results.map((r) => [r.check, r]));
    expect(by.up).toMatchObject({ ok: true });
    expect(by.down).toMatchObject({ ok: false, reason: 'http_status', message: expect.stringContaining('503') });
    expect(by['nothing-listens']).toMatchObject({ ok: false, reason: 'connect' });
  });

  it('prints a readable table without --json', async () => {
    const { code, stdout } = await runCli(['check', 'up', 'down', '--config', config]);
    expect(code).toBe(1);
    expect(stdout).toMatch(/^CHECK\s+VENDOR\s+KIND\s+RESULT/);
    expect(stdout).toMatch(/down\s+acme-cdn\s+http\s+FAIL\s+http_status/);
  });

  it('exits 2 for an unknown check name, naming the checks there are', async () => {
    const { code, stderr } = await runCli(['check', 'nope', '--config', config]);
    expect(code).toBe(2);
    expect(stderr).toBe('vendorwatch: unknown check "nope" (checks: up, down, nothing-listens)\n');
  });

  it('suggests the check name meant', async () => {
    const { code, stderr } = await runCli(['check', 'dwon', '--config', config]);
    expect(code).toBe(2);
    expect(stderr).toBe('vendorwatch: unknown check "dwon" (did you mean "down"?)\n');
  });

  it('prints a progress line per check to stderr as each finishes, keeping stdout for the table', async () => {
    const { code, stdout, stderr } = await runCli(['check', 'up', 'down', '--config', config]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^up: OK \(\d+\.\d\ds\)$/m);
    expect(stderr).toMatch(/^down: FAIL http_status \(\d+\.\d\ds\)$/m);
    expect(stdout).not.toMatch(/^(up|down):/m);
  });
});

describe('exit codes and one-line errors', () => {
  const noStack = (stderr: string) => expect(stderr).not.toMatch(/^\s+at /m);

  it('exits 2 on a bad --listen, with one line and no stack', async () => {
    const { code, stderr } = await runCli(['collector', '--listen', 'nonsense', '--config', config]);
    expect(code).toBe(2);
    expect(stderr).toBe('vendorwatch: --listen "nonsense": expected HOST:PORT, e.g. 0.0.0.0:9797 or [::1]:9797\n');
  });

  it('exits 3 when the listen port is in use, naming the address and what to do', async () => {
    const occupier = createTcpServer();
    await new Promise<void>((r) => occupier.listen(0, '127.0.0.1', r));
    const address = `127.0.0.1:${(occupier.address() as { port: number }).port}`;
    try {
      const { code, stderr } = await runCli(['collector', '--listen', address, '--config', config], { cwd: tempDir() });
      expect(code).toBe(3);
      expect(stderr).toContain(
        `vendorwatch: cannot listen on ${address}: the port is in use by another process (stop it, or choose another address with --listen)\n`,
      );
      noStack(stderr);
    } finally {
      await new Promise<void>((r) => occupier.close(() => r()));
    }
  });

  it("exits 2 on an unknown command with commander's message and a hint, not the whole help", async () => {
    const { code, stderr } = await runCli(['chek']);
    expect(code).toBe(2);
    expect(stderr).toBe("error: unknown command 'chek'\n(Did you mean check?)\n(add --help for usage)\n");
  });

  it('suggests the vendor meant for report --vendor', async () => {
    const { code, stderr } = await runCli(['report', '--vendor', 'acme-cnd', '--config', config]);
    expect(code).toBe(2);
    expect(stderr).toBe('vendorwatch: unknown vendor "acme-cnd" (did you mean "acme-cdn"?)\n');
  });

  it('suggests the config key meant', async () => {
    const typo = join(dir, 'typo.yaml');
    writeFileSync(typo, 'vendors: [{ name: acme }]\nchecks:\n  - { name: web, vendor: acme, kind: http, url: "https://a.example/", intervl: 10s }\n');
    const { code, stderr } = await runCli(['validate', '--config', typo]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/checks\[0\]\.intervl: unknown key \(did you mean "interval"\?\)$/m);
  });

  it('exits 3 on an unexpected error with one line, and shows the stack only at debug', async () => {
    // A journal that is a directory is nothing the report expects.
    const args = ['report', '--journal', dir, '--config', config];
    const plain = await runCli(args);
    expect(plain.code).toBe(3);
    expect(plain.stderr).toMatch(/^vendorwatch: unexpected error: EISDIR\b.*\n$/);
    noStack(plain.stderr);
    const debug = await runCli(args, { env: { VENDORWATCH_LOG_LEVEL: 'debug' } });
    expect(debug.code).toBe(3);
    expect(debug.stderr).toMatch(/^\s+at /m);
  });

  it('takes --listen for the demo', async () => {
    const { code, stdout } = await runCli(['demo', '--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^\s+-l, --listen <host:port>\s+where the demo's collector listens/m);
  });
});

describe('vendorwatch validate', () => {
  it('exits 0 on the shipped config', async () => {
    const { code, stdout } = await runCli(['validate']);
    expect(code).toBe(0);
    expect(stdout).toContain('config/vendorwatch.yaml: ok');
  });

  it('prints file, line and path of a mistake and exits 2', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(
      bad,
      'vendors: [{ name: acme }]\nchecks:\n  - name: web\n    vendor: acme\n    kind: http\n    url: https://a.example/\n    interval: soon\n',
    );
    const { code, stderr } = await runCli(['validate', '--config', bad]);
    expect(code).toBe(2);
    expect(stderr).toContain(`${bad}:7:15: checks[0].interval: expected a duration like "10s"`);
  });

  it('says when the file cannot be read', async () => {
    const { code, stderr } = await runCli(['validate', '--config', join(dir, 'missing.yaml')]);
    expect(code).toBe(2);
    expect(stderr).toContain('cannot read config');
  });
});

describe('vendorwatch validate --effective', () => {
  // Each consensus knob of check a1 comes from another level; b1 leaves them to the top level and the defaults.
  const layered = join(dir, 'layered.yaml');
  beforeAll(() =>
    writeFileSync(
      layered,
      `consensus: { quorum: 0.6, global_quorum: 0.5 }
vendors:
  - { name: a, consensus: { window: 1m, global_quorum: 1 } }
  - { name: b }
checks:
  - { name: a1, vendor: a, kind: http, url: "http://x.test/", interval: 10s, timeout: 5s, regions: [eu], consensus: { min_probes: 1 } }
  - { name: b1, vendor: b, kind: dns, role: telemetry, query: { name: example.com, type: A }, nameservers: ["192.0.2.53"], interval: 20s }
`,
    ),
  );

  it('prints each check with its knobs and the level each came from, the vendors, the regions and the warm-up', async () => {
    const { code, stdout } = await runCli(['validate', '--effective', '--config', layered]);
    expect(code).toBe(0);
    expect(stdout).toContain(`${layered}: ok (2 vendors, 2 checks)`);
    expect(stdout).toMatch(/^CHECK\s+VENDOR\s+KIND\s+ROLE\s+INTERVAL\s+TIMEOUT\s+REGIONS\s+WINDOW\s+MIN_PROBES\s+QUORUM\s+CONFIRM$/m);
    expect(stdout).toMatch(/^a1\s+a\s+http\s+delivery\s+10s\s+5s\s+eu\s+1m \(vendor\)\s+1 \(check\)\s+0\.6 \(top level\)\s+5s \(default\)$/m);
    expect(stdout).toMatch(/^b1\s+b\s+dns\s+telemetry\s+20s\s+10s\s+all\s+1m \(default\)\s+2 \(default\)\s+0\.6 \(top level\)\s+10s \(default\)$/m);
    // A vendor is judged once its checks' longest interval and a push interval (1 s) have passed.
    expect(stdout).toMatch(/^a\s+1 \(vendor\)\s+11s$/m);
    expect(stdout).toMatch(/^b\s+0\.5 \(top level\)\s+21s$/m);
    // eu runs a1 (3 × 10 s); any other region runs only b1 (3 × 20 s).
    expect(stdout).toMatch(/^eu\s+30s \(default\)$/m);
    expect(stdout).toMatch(/^\(any other\)\s+1m \(default\)$/m);
    expect(stdout).toMatch(/^collector warm-up: 21s /m);
  });

  it('prints the same as JSON with --json, durations in milliseconds and unset values as null', async () => {
    const { code, stdout } = await runCli(['validate', '--effective', '--json', '--config', layered]);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({
      checks: [
        {
          check: 'a1',
          vendor: 'a',
          kind: 'http',
          role: 'delivery',
          interval: 10_000,
          timeout: 5000,
          regions: ['eu'],
          window: 60_000,
          min_probes: 1,
          quorum: 0.6,
          confirm: 5000,
          from: { window: 'vendor', min_probes: 'check', quorum: 'top_level', confirm: 'default' },
        },
        {
          check: 'b1',
          vendor: 'b',
          kind: 'dns',
          role: 'telemetry',
          interval: 20_000,
          timeout: 10_000,
          regions: null,
          window: 60_000,
          min_probes: 2,
          quorum: 0.6,
          confirm: 10_000,
          from: { window: 'default', min_probes: 'default', quorum: 'top_level', confirm: 'default' },
        },
      ],
      vendors: [
        { vendor: 'a', global_quorum: 1, from: 'vendor', warm_up: 11_000 },
        { vendor: 'b', global_quorum: 0.5, from: 'top_level', warm_up: 21_000 },
      ],
      probe_down_after: { regions: { eu: 30_000 }, other: 60_000, from: 'default' },
      warm_up: 21_000,
    });
  });

  it('says "majority" for an unset quorum and names a configured probe_down_after', async () => {
    const plain = join(dir, 'plain.yaml');
    writeFileSync(
      plain,
      'collector: { probe_down_after: 2m }\nvendors: [{ name: a }]\nchecks:\n  - { name: a1, vendor: a, kind: http, url: "http://x.test/" }\n',
    );
    const { code, stdout } = await runCli(['validate', '--effective', '--config', plain]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^a1\s.*\smajority \(default\)\s/m);
    expect(stdout).toMatch(/^a\s+majority \(default\)\s+31s$/m);
    expect(stdout).toMatch(/^\(every region\)\s+2m \(collector\.probe_down_after\)$/m);
  });

  it('refuses --json without --effective', async () => {
    const { code, stderr } = await runCli(['validate', '--json', '--config', layered]);
    expect(code).toBe(2);
    expect(stderr).toContain('--json goes with --effective');
  });
});

describe('vendorwatch schema', () => {
  it('prints a JSON Schema', async () => {
    const { code, stdout } = await runCli(['schema']);
    expect(code).toBe(0);
    const schema = JSON.parse(stdout);
    expect(schema.properties.checks).toBeDefined();
    expect(schema.required).toContain('vendors');
  });

  it('prints the configuration reference with --markdown, as docs/configuration.md holds it', async () => {
    const { code, stdout } = await runCli(['schema', '--markdown']);
    expect(code).toBe(0);
    expect(stdout).toBe(configReference(configJsonSchema()));
  });
});
