import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { registry } from '../../agent/metrics.ts';
import { recordCheckResult } from '../../agent/probe/metrics.ts';
import type { CheckResult } from '../../config/result.ts';
import { promtoolCheckMetrics } from '../support/prometheus.ts';

function result(details: Record<string, unknown>, ok = true): CheckResult {
  return {
    id: randomUUID(),
    check: 'edge-js',
    vendor: 'acme-cdn',
    kind: 'http',
    role: 'delivery',
    probe: 'p1',
    region: 'eu-west',
    startedAt: Date.now(),
    ok,
    degraded: false,
    reason: ok ? 'ok' : 'timeout',
    message: ok ? 'ok' : 'timed out after 5 s waiting for response headers',
    phases: { connect: 0.01, total: 0.1 },
    assertions: [],
    details,
  };
}

describe('http check metrics', () => {
  it('counts cache statuses, tracks certificate expiry and names the current edge', async () => {
    const cert = { subject: 'www.example.com', issuer: 'R3', not_after: '2027-01-01T00:00:00.000Z', days_left: 41 };
    recordCheckResult(
      result({
        url: 'https://www.example.com/',
        cache: 'hit',
        tls: { version: 'TLSv1.3', cipher: 'TLS_AES_128_GCM_SHA256', authorized: true, cert },
        edge: { cdn: 'acme-cdn', pop: 'AMS1' },
      }),
    );
    recordCheckResult(result({ url: 'https://www.example.com/', cache: 'hit', edge: { cdn: 'acme-cdn', pop: 'AMS1' } }));
    recordCheckResult(result({ url: 'https://www.example.com/', cache: 'miss', edge: { cdn: 'acme-cdn', pop: 'FRA' } }));
    recordCheckResult(result({ url: 'https://www.example.com/' }, false));

    const text = await registry.metrics();
    const where = 'vendor="acme-cdn",check="edge-js",region="eu-west"';
    expect(text).toContain(`vendorwatch_http_cache_responses_total{${where},cache="hit"} 2`);
    expect(text).toContain(`vendorwatch_http_cache_responses_total{${where},cache="miss"} 1`);
    expect(text).toContain(`vendorwatch_http_cert_expiry_timestamp_seconds{${where},probe="p1"} 1798761600`);
    // One edge series per check and probe: the last edge seen.
    expect(text).toContain(`vendorwatch_http_edge_info{${where},probe="p1",cdn="acme-cdn",pop="FRA"} 1`);
    expect(text).not.toContain('pop="AMS1"');
    expect(promtoolCheckMetrics(text)).toEqual({ status: 0, output: '' });
  });
});
