import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../config/load.ts';

const config = (check: string) => `vendors: [{ name: acme-cdn, kind: cdn }]
checks:
  - name: web
    vendor: acme-cdn
    kind: http
    url: https://www.example.com/
${check}`;

function problems(text: string): string[] {
  try {
    parseConfig(text, 'test.yaml', {});
  } catch (err) {
    if (err instanceof ConfigError) return err.message.split('\n');
    throw err;
  }
  throw new Error('config was accepted');
}

describe('http check config', () => {
  it('keeps a minimal check minimal, with safe defaults', () => {
    const [check] = parseConfig(config(''), 'test.yaml', {}).checks;
    expect(check).toMatchObject({
      method: 'GET',
      headers: {},
      follow_redirects: 5,
      http2: true,
      reuse_connection: false,
      bust: false,
      pair: false,
      assets: false,
      profiles: [],
      expect: { status: ['200-399'], headers: [], json: [] },
    });
  });

  it('takes one value or a list, edge addresses with ports, and durations', () => {
    const [check] = parseConfig(
      config(`    connect_to: "[2001:db8::1]:8443"
    resolver: 192.0.2.53
    accept_encoding: br
    expect: { status: 200, cache: hit, tls_version: [TLSv1.2, TLSv1.3], ttl: { min: 1h }, latency: { ttfb: 300ms } }
    profiles:
      - { name: negative, url: /nope, expect: { status: [404, 410] } }
`),
      'test.yaml',
      {},
    ).checks;
    expect(check).toMatchObject({
      connect_to: { host: '2001:db8::1', port: 8443 },
      resolver: { host: '192.0.2.53' },
      accept_encoding: ['br'],
      expect: { status: [200], cache: ['hit'], tls_version: ['TLSv1.2', 'TLSv1.3'], ttl: { min: 3_600_000 }, latency: { ttfb: 300 } },
      profiles: [{ name: 'negative', url: '/nope', expect: { status: [404, 410] } }],
    });
  });

  it('resolves tls.ca_file against the config file', () => {
    const [check] = parseConfig(config('    tls: { ca_file: certs/ca.pem }\n'), '/etc/vendorwatch/vendorwatch.yaml', {}).checks;
    expect(check).toMatchObject({ tls: { ca_file: '/etc/vendorwatch/certs/ca.pem' } });
  });

  it('points at each mistake', () => {
    expect(
      problems(
        config(`    connect_to: "edge example"
    expect: { body: { matches: "(" }, cache: warm, json: [{ path: "a..b" }] }
`),
      ),
    ).toEqual([
      'test.yaml:7:17: checks[0].connect_to: expected a host, an IP address, or either with :port',
      'test.yaml:8:32: checks[0].expect.body.matches: not a valid regular expression',
      'test.yaml:8:67: checks[0].expect.json[0].path: expected a path like "page.updated_at" or "$.items[0].id"',
      'test.yaml:8:46: checks[0].expect.cache: expected one of "hit"|"miss"|"stale"|"bypass"|"unknown"',
    ]);
    expect(problems(config('    bust: true\n    pair: true\n    profiles: [{ name: a, url: /a }, { name: a, url: "http://[bad" }]\n'))).toEqual([
      'test.yaml:8:11: checks[0].pair: `pair` already sends a busted request; drop `bust`',
      'test.yaml:9:46: checks[0].profiles[1].name: duplicate profile "a"',
      'test.yaml:9:54: checks[0].profiles[1].url: expected a URL or a path',
    ]);
  });
});
