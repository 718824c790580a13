import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkResultSchema, type CheckResult, type ShrunkDetails } from '../../config/result.ts';
import { shrinkResult } from '../../agent/probe/oversizedResult.ts';

/** A browser check's failure with 100 failed requests on 7 KB URLs: about 700 KB. */
function hugeBrowserResult(): CheckResult {
  const request = (i: number) => ({ url: `https://cdn.example.com/asset-${i}.js?${'q'.repeat(7000)}`, status: 503, vendor: 'acme', step: null });
  return {
    id: randomUUID(),
    check: 'shop',
    vendor: 'acme',
    kind: 'browser',
    role: 'delivery',
    probe: 'p1',
    region: 'eu',
    startedAt: 1_700_000_000_000,
    ok: false,
    degraded: false,
    reason: 'http_status',
    message: `100 requests failed, first ${request(0).url}`.slice(0, 2000),
    phases: { total: 12.5 },
    assertions: [{ name: 'status', ok: false, expected: 200, actual: 'x'.repeat(5000) }],
    details: { script: 'shop.ts', failedRequests: Array.from({ length: 100 }, (_, i) => request(i)), blockedRequests: 0 },
  };
}

describe('shrinking a result too large for any push batch', () => {
  it('cuts message, assertion values and details to fit, marks every cut, and keeps identity and verdict', () => {
    const result = hugeBrowserResult();
    const bytes = Buffer.byteLength(JSON.stringify(result));
    expect(bytes).toBeGreaterThan(700_000);

    const line = shrinkResult(result, 48 * 1024);

    expect(Buffer.byteLength(line)).toBeLessThanOrEqual(48 * 1024);
    const shrunk = checkResultSchema.parse(JSON.parse(line));
    const { message: _message, assertions: _assertions, details: _details, ...rest } = result;
    expect(shrunk).toMatchObject(rest);
    const shrunkDetails = shrunk.details as ShrunkDetails;
    expect(shrunkDetails.truncated).toEqual({ bytes });
    expect(shrunk.message).toMatch(/… \[cut \d+ bytes\]$/);
    expect(shrunk.assertions[0]!.actual).toMatch(/… \[cut \d+ bytes\]$/);
    const failed = shrunkDetails.failedRequests as unknown[];
    expect(failed.at(-1)).toMatch(/^… \[cut \d+ items\]$/);
    expect((failed[0] as { url: string }).url).toMatch(/… \[cut \d+ bytes\]$/);
  });

  it('keeps its first size when shrunk again, and gets no smaller than its identity and verdict', () => {
    const result = hugeBrowserResult();
    const once = JSON.parse(shrinkResult(result, 48 * 1024)) as CheckResult;
    const smallest = shrinkResult(once, 100);
    expect(JSON.parse(smallest).details).toEqual({ truncated: { bytes: Buffer.byteLength(JSON.stringify(result)) } });
    expect(shrinkResult(JSON.parse(smallest), 100)).toBe(smallest);
  });
});
