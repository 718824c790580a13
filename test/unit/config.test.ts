import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hostMatches, vendorForHeader, vendorForUrl } from '../../config/hosts.ts';
import { parseDuration } from '../../config/duration.ts';
import { configJsonSchema } from '../../config/jsonSchema.ts';
import { loadConfig, parseConfig } from '../../config/load.ts';
import { configProblems as problems } from '../support/config.ts';
import { ROOT } from '../support/processes.ts';

const base = `vendors:
  - name: acme-cdn
    kind: cdn
checks:
  - name: web
    vendor: acme-cdn
    kind: http
    url: https://static.example.com/app.js
`;

describe('config', () => {
  it('fills defaults for a minimal check', () => {
    const config = parseConfig(base, 'test.yaml', {});
    expect(config.checks[0]).toMatchObject({ role: 'delivery', interval: 30_000, timeout: 10_000, method: 'GET' });
    expect(config.consensus).toEqual({});
    expect(config.probe.region).toBe('local');
  });

  it('accepts the minimal check of every kind (the contract in docs/architecture.md)', () => {
    const config = parseConfig(
      `vendors: [{ name: acme-cdn }, { name: acme-dns }, { name: payco }]
checks:
  - { name: web, vendor: acme-cdn, kind: http, url: "https://static.example.com/app.js" }
  - { name: ns, vendor: acme-dns, kind: dns, query: { name: example.com, type: A }, nameservers: ["ns1.acmedns.net", "192.0.2.53:5353"] }
  - { name: buy, vendor: payco, kind: browser, script: transactions/checkout.ts }
`,
      '/etc/vendorwatch/test.yaml',
      {},
    );
    expect(config.checks.map((c) => c.kind)).toEqual(['http', 'dns', 'browser']);
    // Browser scripts resolve relative to the config file.
    expect(config.checks[2]).toMatchObject({ script: '/etc/vendorwatch/transactions/checkout.ts' });
  });

  it('names file, line, column and path of a bad duration', () => {
    const [p, ...rest] = problems(base + '    interval: 10 seconds\n');
    expect(rest).toEqual([]);
    expect(p).toEqual({
      file: 'test.yaml',
      line: 9,
      column: 15,
      path: 'checks[0].interval',
      message: expect.stringContaining('expected a duration like "10s"'),
    });
  });

  it('points at an unknown key, a missing field, an unknown kind and an unknown vendor', () => {
    expect(problems(base + '    intervl: 10s\n')[0]).toMatchObject({ line: 9, path: 'checks[0].intervl', message: expect.stringContaining('unknown key') });
    expect(problems(base.replace('    url: https://static.example.com/app.js\n', ''))[0]).toMatchObject({
      path: 'checks[0].url',
      message: expect.stringContaining('required'),
    });
    expect(problems(base.replace('kind: http', 'kind: ftp'))[0]).toMatchObject({ line: 7, path: 'checks[0].kind' });
    expect(problems(base.replace('vendor: acme-cdn', 'vendor: nope'))[0]).toMatchObject({
      line: 6,
      path: 'checks[0].vendor',
      message: 'unknown vendor "nope" (not in vendors)',
    });
  });

  it('rejects a timeout longer than the interval and duplicate names', () => {
    expect(problems(base + '    interval: 5s\n    timeout: 10s\n')[0]).toMatchObject({ path: 'checks[0].timeout' });
    const dup = base + '  - { name: web, vendor: acme-cdn, kind: http, url: "https://a.example/" }\n';
    expect(problems(dup)[0]).toMatchObject({ line: 9, path: 'checks[1].name', message: 'duplicate check "web"' });
  });

  it('reports YAML syntax errors with their position', () => {
    expect(problems('vendors:\n  - name: [unclosed\n')[0]).toMatchObject({ file: 'test.yaml', line: expect.any(Number), path: '' });
  });

  it('interpolates ${ENV} and ${ENV:-default}, and names a missing variable', () => {
    const text = base + 'collector: { token: "${TOKEN}" }\nalerts: { webhook: { url: "${HOOK:-https://hooks.example.com/x}" } }\n';
    const config = parseConfig(text, 'test.yaml', { TOKEN: 's3cret' });
    expect(config.collector.token).toBe('s3cret');
    expect(config.alerts.webhook?.url).toBe('https://hooks.example.com/x');
    expect(problems(text, {})[0]).toMatchObject({ line: 9, path: 'collector.token', message: expect.stringContaining('TOKEN is not set') });
  });

  it('keeps every shipped config valid', () => {
    const files = readdirSync(join(ROOT, 'config')).filter((f) => f.endsWith('.yaml'));
    expect(files).toContain('vendorwatch.yaml');
    for (const f of files) expect(() => loadConfig(join(ROOT, 'config', f), {})).not.toThrow();
  });

  it('ships a JSON Schema that matches the zod schema', () => {
    const shipped = JSON.parse(readFileSync(join(ROOT, 'config/vendorwatch.schema.json'), 'utf8'));
    expect(shipped, 'run: node bin/vendorwatch.js schema > config/vendorwatch.schema.json').toEqual(configJsonSchema());
  });
});

describe('durations', () => {
  it('parses units and compounds', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('10s')).toBe(10_000);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(() => parseDuration('10')).toThrow(/duration/);
  });
});

describe('host patterns', () => {
  const vendors = [
    { name: 'acme', hosts: ['static.example.com', '*.acmecdn.net'], identify: { header: 'server-timing', match: 'cdn;desc=acme' } },
    { name: 'local', hosts: ['127.0.0.1:8081'] },
  ];
  it('matches exact hosts, wildcards (not the apex) and ports', () => {
    expect(hostMatches('*.acmecdn.net', 'a.b.acmecdn.net')).toBe(true);
    expect(hostMatches('*.acmecdn.net', 'acmecdn.net')).toBe(false);
    expect(hostMatches('*.acmecdn.net', 'evilacmecdn.net')).toBe(false);
    expect(vendorForUrl(vendors, 'https://STATIC.example.com/x.js?q=1')).toBe('acme');
    expect(vendorForUrl(vendors, 'http://127.0.0.1:8081/a')).toBe('local');
    expect(vendorForUrl(vendors, 'http://127.0.0.1:8082/a')).toBeUndefined();
    expect(vendorForUrl(vendors, 'not a url')).toBeUndefined();
    expect(vendorForHeader(vendors, 'Server-Timing', 'cdn;desc=acme, edge;dur=3')).toBe('acme');
  });
});
