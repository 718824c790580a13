import { createServer, type Server } from 'node:http';
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
    const results = stdout.trim().split('\n').map((l) => checkResultSchema.parse(JSON.parse(l)));
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

  it('exits 2 for an unknown check name', async () => {
    const { code, stderr } = await runCli(['check', 'nope', '--config', config]);
    expect(code).toBe(2);
    expect(stderr).toContain('unknown check(s): nope');
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
    writeFileSync(bad, 'vendors: [{ name: acme }]\nchecks:\n  - name: web\n    vendor: acme\n    kind: http\n    url: https://a.example/\n    interval: soon\n');
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
