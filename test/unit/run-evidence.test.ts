/**
 * What an evidence pack keeps of a failing run: the vendor's edge as measured (address, POP,
 * cache status, NSID) and nothing internal (query strings, credentials, other hosts, probe ids).
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/load.ts';
import type { CheckResult } from '../../config/result.ts';
import { evidenceMarkdown, evidencePack } from '../../agent/collector/evidencePack.ts';
import { failedRun, safeText } from '../../agent/collector/runEvidence.ts';
import type { Incident } from '../../agent/collector/incidents.ts';

const config = parseConfig(
  `vendors: [{ name: acme, kind: cdn }, { name: dnsco, kind: dns }]
checks:
  - { name: acme-js, vendor: acme, kind: http, url: "https://cdn.acme.example/app.js?sig=abc123", interval: 5s, timeout: 1s }
  - { name: zone, vendor: dnsco, kind: dns, query: { name: www.shop.example, type: A }, nameservers: [{ server: 192.0.2.53, name: ns1.dnsco }], interval: 5s, timeout: 2s }
`,
  't.yaml',
  {},
);
const [httpCheck, dnsCheck] = config.checks;

const envelope = {
  id: '7f1c7a9e-3b7e-4d2a-9a53-0d9f1f2b7c11',
  probe: 'eu-a.corp.internal',
  region: 'eu',
  startedAt: Date.UTC(2026, 10, 20, 2, 14, 37),
  ok: false,
  degraded: false,
};

describe('failing runs as evidence', () => {
  it('keeps only the check host, without query, and redacts credentials', () => {
    const text = safeText(
      'GET https://cdn.acme.example/app.js?token=abc failed, see https://wiki.corp.internal/x?y=1; Authorization: Bearer abc.def api_key=XYZ',
      ['cdn.acme.example'],
    );
    expect(text).toBe('GET https://cdn.acme.example/app.js failed, see <url> Authorization: Bearer <redacted> api_key=<redacted>');
  });

  it('keeps the status, edge address, POP and cache status an http run measured', () => {
    const result: CheckResult = {
      ...envelope,
      assertions: [],
      check: 'acme-js',
      vendor: 'acme',
      kind: 'http',
      role: 'delivery',
      reason: 'http_status',
      message: 'HTTP 503, expected 200-399',
      phases: { connect: 0.01, ttfb: 0.2, total: 0.21 },
      details: { url: 'https://cdn.acme.example/app.js?sig=abc123', status: 503, address: '198.51.100.7', cache: 'miss', edge: { cdn: 'acme', pop: 'FRA' } },
    };
    expect(failedRun(result, httpCheck!)).toMatchObject({
      phase: 'response',
      url: 'https://cdn.acme.example/app.js',
      status: 503,
      address: '198.51.100.7',
      pop: 'FRA',
      cache: 'miss',
    });
  });

  it("names a DNS run's failing nameservers with their NSID, and the pack shows them without the probe's id", () => {
    const result: CheckResult = {
      ...envelope,
      assertions: [],
      check: 'zone',
      vendor: 'dnsco',
      kind: 'dns',
      role: 'delivery',
      reason: 'timeout',
      message: 'ns1.dnsco: no answer',
      phases: { total: 2 },
      details: {
        query: { name: 'www.shop.example', type: 'A' },
        zone: 'shop.example',
        nameservers: [
          {
            nameserver: 'ns1.dnsco',
            server: '192.0.2.53',
            address: '192.0.2.53',
            port: 53,
            ok: false,
            degraded: false,
            reason: 'timeout',
            message: 'no answer after 2 tries',
            attempts: [],
            nsid: 'fra1.anycast.dnsco',
          },
        ],
      },
    };
    const run = failedRun(result, dnsCheck!);
    expect(run.nameservers).toEqual([{ nameserver: 'ns1.dnsco', address: '192.0.2.53', nsid: 'fra1.anycast.dnsco', message: 'no answer after 2 tries' }]);

    const incident: Incident = {
      id: 'i-1',
      vendor: 'dnsco',
      start: envelope.startedAt,
      end: null,
      worst: 'regional_outage',
      states: ['regional_outage'],
      regions: ['eu'],
      flapped: false,
      summary: '',
      evidence: [],
      raised: {},
    };
    const pack = evidencePack({
      incident,
      vendor: config.vendors[1]!,
      checks: [dnsCheck!],
      events: [],
      kept: { runs: [run], counts: {}, said: [] },
      now: envelope.startedAt + 60_000,
    });
    expect(pack.runs).toMatchObject([{ probe: 'eu probe 1', failingRuns: null }]);
    expect(pack.checks).toEqual([{ check: 'zone', kind: 'dns', target: 'www.shop.example A at 192.0.2.53' }]);
    const md = evidenceMarkdown(pack);
    expect(md).toContain('- **Edges seen failing**: ns1.dnsco (192.0.2.53) NSID fra1.anycast.dnsco');
    expect(md).toContain('### zone in eu, eu probe 1: at least 1 failing run(s)');
    expect(md).toContain('No status page of theirs is configured.');
    expect(md).not.toContain('corp.internal');
  });
});
