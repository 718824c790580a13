import { describe, expect, it } from 'vitest';
import type { CheckResult } from '../../config/result.ts';
import { compareRuns, renderComparison } from '../../agent/probe/checks/http/suite.ts';

type Assertion = CheckResult['assertions'][number];
const result = (check: string, assertions: Assertion[], failure?: { reason: CheckResult['reason']; message: string }): CheckResult =>
  ({
    id: '00000000-0000-4000-8000-000000000000',
    check,
    vendor: 'acme-cdn',
    kind: 'http',
    role: 'delivery',
    probe: 'cli',
    region: 'lab',
    startedAt: 0,
    ok: !failure,
    degraded: false,
    reason: failure?.reason ?? 'ok',
    message: failure?.message ?? 'ok',
    phases: {},
    assertions,
    details: {},
  }) as CheckResult;
const pass = (name: string, actual: unknown): Assertion => ({ name, ok: true, actual });
const miss = (name: string, actual: unknown): Assertion => ({ name, ok: false, actual });

describe('comparing a suite on production and on a staging edge', () => {
  const production = [
    result('shop', [
      pass('status', 200),
      pass('profile api: cache', 'miss'),
      pass('latency ttfb', 0.01),
      miss('profile images: ttl', 60),
      pass('profile styles: content encoding', 'br'),
    ]),
    result('shop-eu', [miss('status', 503)], { reason: 'http_status', message: 'HTTP 503, expected 200-399' }),
    result('shop-us', [pass('status', 200)]),
  ];
  const staging = [
    result(
      'shop',
      [
        pass('status', 200),
        miss('profile api: cache', 'hit'),
        miss('latency ttfb', 0.9),
        miss('profile images: ttl', 30),
        pass('profile styles: content encoding', 'gzip'),
      ],
      {
        reason: 'assertion',
        message: 'profile api: cache hit (x-varnish), expected miss or bypass',
      },
    ),
    result('shop-eu', [pass('status', 200)]),
    result('shop-us', [], { reason: 'connect', message: 'connection refused by 127.0.0.1:1' }),
  ];
  const comparison = compareRuns('127.0.0.1:1', production, staging);

  it('names each change assertion by assertion; latency is slower, never a regression', () => {
    expect(comparison.differences.map((d) => [d.check, d.assertion, d.change])).toEqual([
      ['shop', 'profile api: cache', 'regression'],
      ['shop', 'latency ttfb', 'slower'],
      ['shop', 'profile images: ttl', 'failing on both'],
      ['shop', 'profile styles: content encoding', 'changed'],
      ['shop-eu', 'status', 'improvement'],
      // A run that failed before any assertion: its verdict is the row.
      ['shop-us', 'result', 'regression'],
    ]);
    expect(comparison).toMatchObject({ checks: 3, regressions: 2, improvements: 1 });
  });

  it('prints regressions first, then a verdict', () => {
    const lines = renderComparison(comparison).trimEnd().split('\n');
    expect(lines[0]).toMatch(/^CHECK\s+ASSERTION\s+PRODUCTION\s+STAGING 127\.0\.0\.1:1\s+CHANGE$/);
    expect(lines[1]).toMatch(/^shop\s+profile api: cache\s+pass \(miss\)\s+FAIL \(hit\)\s+REGRESSION$/);
    expect(lines[2]).toMatch(/^shop-us\s+result\s+ok\s+FAIL connect: connection refused by 127\.0\.0\.1:1\s+REGRESSION$/);
    expect(lines.at(-1)).toBe('2 regressions, 1 improvement on staging 127.0.0.1:1 (9 assertions of 3 checks compared with production)');
  });

  it('says so when nothing differs, and shows what fails on both sides', () => {
    expect(renderComparison(compareRuns('edge.example.net', [production[2]!], [production[2]!]))).toBe(
      'no differences: 0 regressions, 0 improvements on staging edge.example.net (2 assertions of 1 checks compared with production)\n',
    );
    expect(
      renderComparison(compareRuns('edge.example.net', production, production))
        .split('\n')
        .slice(1, 3),
    ).toEqual([
      expect.stringMatching(/^shop\s+profile images: ttl\s+FAIL \(60\)\s+FAIL \(60\)\s+failing on both$/),
      expect.stringMatching(/^shop-eu\s+status\s+FAIL \(503\)\s+FAIL \(503\)\s+failing on both$/),
    ]);
  });
});
