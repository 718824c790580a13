import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpCheckSchema } from '../../config/checks/http.ts';
import type { CheckResult } from '../../config/result.ts';
import { Scheduler } from '../../agent/probe/scheduler.ts';
import { startFaultServer, startSilentServer } from '../../lab/faults.ts';
import type { LabServer } from '../../lab/server.ts';
import { labVendors, runHttp } from '../support/http.ts';
import { waitFor } from '../support/processes.ts';

let faults: LabServer;
let silent: LabServer;

beforeAll(async () => {
  faults = await startFaultServer();
  silent = await startSilentServer();
});

afterAll(async () => {
  await faults?.close();
  await silent?.close();
});

const at = (path: string) => `${faults.url}${path}`;

describe('http checks against fault servers', () => {
  it('a reset connection is reason reset', async () => {
    const r = await runHttp({ url: at('/reset') });
    expect(r).toMatchObject({ ok: false, reason: 'reset', message: 'connection reset waiting for response headers' });
    expect(r.phases.connect).toBeDefined();
  });

  it('a response that is not HTTP, or a body that breaks chunked encoding, is reason malformed (as docs/checks.md says), not internal', async () => {
    const garbage = await runHttp({ url: at('/garbage') });
    expect(garbage).toMatchObject({ ok: false, reason: 'malformed', message: expect.stringMatching(/^malformed response waiting for response headers: /) });
    const badChunk = await runHttp({ url: at('/bad-chunk') });
    expect(badChunk).toMatchObject({ ok: false, reason: 'malformed', message: expect.stringMatching(/^malformed response reading the body/) });
  });

  it('a server that accepts and never answers ends at the timeout, from the check itself', async () => {
    const r = await runHttp({ url: at('/hang'), timeout: '1s' });
    // The check's own message (not the scheduler's fallback for checks that ignore their signal).
    expect(r).toMatchObject({ ok: false, reason: 'timeout', message: 'timed out after 1 s waiting for response headers' });
    expect(Object.keys(r.phases).sort()).toEqual(['connect', 'total']);
  });

  it('a slow origin crosses a ttfb threshold as degraded, and a short timeout as a timeout', async () => {
    const slow = await runHttp({ url: at('/delay/300'), expect: { latency: { ttfb: '100ms' } } });
    expect(slow).toMatchObject({ ok: true, degraded: true });
    expect(slow.phases.ttfb).toBeGreaterThanOrEqual(0.3);
    const late = await runHttp({ url: at('/delay/3000'), timeout: '500ms' });
    expect(late).toMatchObject({ ok: false, reason: 'timeout', message: 'timed out after 0.5 s waiting for response headers' });
  });

  it('a body trickling in ends at the timeout with the phases done so far', async () => {
    const r = await runHttp({ url: at('/trickle'), timeout: '1s' });
    expect(r).toMatchObject({ ok: false, reason: 'timeout' });
    expect(r.message).toMatch(/^timed out after 1 s reading the body \(\d+ bytes received\)$/);
    expect(Object.keys(r.phases).sort()).toEqual(['connect', 'total', 'ttfb']);
  });

  it('a TLS handshake that never starts ends at the timeout in the tls phase', async () => {
    const r = await runHttp({ url: silent.url.replace('http:', 'https:'), timeout: '1s' });
    expect(r).toMatchObject({ ok: false, reason: 'timeout', message: `timed out after 1 s in the TLS handshake with 127.0.0.1:${silent.port}` });
  });

  it('follows redirects, timing each hop, and stops at a loop or the limit', async () => {
    const chain = await runHttp({ url: at('/redirect/3') });
    expect(chain).toMatchObject({ ok: true, details: { status: 200, url: at('/ok') } });
    const hops = chain.details.hops as { url: string; status: number; phases: { ttfb: number } }[];
    expect(hops.map((h) => [h.url, h.status])).toEqual([
      [at('/redirect/3'), 302],
      [at('/redirect/2'), 302],
      [at('/redirect/1'), 302],
      [at('/ok'), 200],
    ]);
    for (const hop of hops) expect(hop.phases.ttfb).toBeGreaterThan(0);

    const loop = await runHttp({ url: at('/loop') });
    expect(loop).toMatchObject({ ok: false, reason: 'http_status', message: `redirect loop: ${at('/loop')} → ${at('/loop-back')} → ${at('/loop')}` });

    const limited = await runHttp({ url: at('/redirect/3'), follow_redirects: 2 });
    expect(limited).toMatchObject({ ok: false, reason: 'http_status', message: expect.stringMatching(/^more than 2 redirects: /) });

    const notFollowed = await runHttp({
      url: at('/redirect/3'),
      follow_redirects: 0,
      expect: { status: 302, headers: [{ name: 'location', matches: '^/redirect/2$' }] },
    });
    expect(notFollowed).toMatchObject({ ok: true, details: { status: 302 } });
  });

  it('sends credentials on same-origin redirects only, and rejects unusable locations', async () => {
    const headers = { authorization: 'Bearer s3cret' };
    const sameOrigin = await runHttp({ url: at('/redirect-to?url=/headers'), headers, expect: { body: { matches: 's3cret' } } });
    expect(sameOrigin.ok).toBe(true);
    const otherOrigin = `${faults.url.replace('127.0.0.1', 'localhost')}/headers`;
    const crossOrigin = await runHttp({ url: at(`/redirect-to?url=${encodeURIComponent(otherOrigin)}`), headers, expect: { body: { not_matches: 's3cret' } } });
    expect(crossOrigin).toMatchObject({ ok: true, details: { url: otherOrigin } });

    const bad = await runHttp({ url: at(`/redirect-to?url=${encodeURIComponent('ftp://files.example.com/')}`) });
    expect(bad).toMatchObject({ ok: false, reason: 'malformed', message: 'HTTP 302 redirects to an unusable location: ftp://files.example.com/' });
  });

  it('names the child asset that fails, and how', async () => {
    const fiveHundred = await runHttp({ url: at('/page?fail=500'), assets: true });
    expect(fiveHundred).toMatchObject({ ok: false, reason: 'http_status', message: `asset ${at('/asset/fail-500.js')}: HTTP 500, expected 200-399` });

    const reset = await runHttp({ url: at('/page?fail=reset'), assets: true });
    expect(reset).toMatchObject({ ok: false, reason: 'reset', message: `asset ${at('/asset/fail-reset.js')}: connection reset waiting for response headers` });

    const hang = await runHttp({ url: at('/page?fail=hang'), assets: true, timeout: '1s' });
    expect(hang).toMatchObject({
      ok: false,
      reason: 'timeout',
      message: `asset ${at('/asset/fail-hang.js')}: timed out after 1 s waiting for response headers`,
    });
    expect(hang.details.assets).toMatchObject({ checked: [{ ok: true }, { ok: true }, { ok: false, reason: 'timeout' }] });
  });

  it('a refused connection is reason connect; an unresolvable name is reason dns', async () => {
    const refused = await runHttp({ url: 'http://127.0.0.1:1/' });
    expect(refused).toMatchObject({ ok: false, reason: 'connect', message: 'TCP connect to 127.0.0.1:1 failed: ECONNREFUSED' });
    // A resolver nobody answers on: the lookup fails, quickly.
    const noDns = await runHttp({ url: 'http://shop.lab.test/', resolver: '127.0.0.1:1' });
    expect(noDns).toMatchObject({ ok: false, reason: 'dns', message: expect.stringMatching(/^DNS lookup of shop\.lab\.test failed: /) });
  });

  it('hanging checks never stall the scheduler: other checks keep reporting', async () => {
    const checks = [
      httpCheckSchema.parse({ name: 'hangs', vendor: 'acme-cdn', kind: 'http', url: at('/hang'), interval: '1s', timeout: '1s' }),
      httpCheckSchema.parse({ name: 'trickles', vendor: 'acme-cdn', kind: 'http', url: at('/trickle'), interval: '1s', timeout: '1s' }),
      httpCheckSchema.parse({ name: 'fine', vendor: 'acme-cdn', kind: 'http', url: at('/ok'), interval: '1s', timeout: '1s' }),
    ];
    const results: CheckResult[] = [];
    const scheduler = new Scheduler({
      checks,
      vendors: labVendors,
      probe: { id: 'test', region: 'lab' },
      logger: pino({ level: 'silent' }),
      concurrency: 2,
      onResult: (r) => results.push(r),
    });
    scheduler.start();
    try {
      await waitFor(() => ['hangs', 'trickles', 'fine'].every((name) => results.filter((r) => r.check === name).length >= 2), {
        what: 'two results from every check',
      });
    } finally {
      await scheduler.stop();
    }
    for (const r of results.filter((r) => r.check !== 'fine')) {
      expect(r).toMatchObject({ ok: false, reason: 'timeout', message: expect.stringMatching(/^timed out after 1 s /) });
    }
    expect(results.filter((r) => r.check === 'fine').every((r) => r.ok)).toBe(true);
  });
});
