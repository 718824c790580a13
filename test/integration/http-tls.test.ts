import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCdnOrigin, type CdnOrigin } from '../../lab/cdn-origin.ts';
import { runHttp } from '../support/http.ts';
import { makeTestPki, type TestPki } from '../support/tls.ts';

let pki: TestPki;
let h2: CdnOrigin;
let h1: CdnOrigin;

beforeAll(async () => {
  pki = makeTestPki({ names: ['www.lab.test'], days: 30 });
  h2 = await startCdnOrigin({ tls: pki });
  h1 = await startCdnOrigin({ tls: pki, http2: false });
});

afterAll(async () => {
  await h2?.close();
  await h1?.close();
});

const on = (origin: CdnOrigin, path: string, host = 'localhost') => `https://${host}:${origin.port}${path}`;

describe('http checks over TLS (a local origin with a test CA)', () => {
  it('times every phase of a fresh TLS connection and negotiates h2', async () => {
    const r = await runHttp({
      url: on(h2, '/static/app.js'),
      tls: { ca_file: pki.caFile },
      expect: { protocol: 'h2', tls_version: ['TLSv1.2', 'TLSv1.3'], cert_min_days: 7 },
    });
    expect(r).toMatchObject({
      ok: true,
      details: { protocol: 'h2', status: 200, tls: { version: 'TLSv1.3', authorized: true, cert: { subject: 'localhost' } } },
    });
    expect(Object.keys(r.phases).sort()).toEqual(['connect', 'dns', 'tls', 'total', 'transfer', 'ttfb']);
    const days = (r.details.tls as { cert: { days_left: number } }).cert.days_left;
    expect(days).toBeGreaterThan(28);
    expect(days).toBeLessThanOrEqual(30);
  });

  it('speaks http/1.1 when it does not offer h2, or the server does not take it', async () => {
    const notOffered = await runHttp({ url: on(h2, '/static/app.js'), http2: false, tls: { ca_file: pki.caFile }, expect: { protocol: 'http/1.1' } });
    expect(notOffered).toMatchObject({ ok: true, details: { protocol: 'http/1.1' } });

    const refused = await runHttp({ url: on(h1, '/static/app.js'), tls: { ca_file: pki.caFile }, expect: { protocol: 'h2' } });
    expect(refused).toMatchObject({ ok: false, reason: 'assertion', message: 'protocol http/1.1, expected h2' });
    expect(refused.assertions).toContainEqual({ name: 'protocol', ok: false, expected: 'h2', actual: 'http/1.1' });
  });

  it('fails when the certificate expires sooner than cert_min_days', async () => {
    const r = await runHttp({ url: on(h2, '/'), tls: { ca_file: pki.caFile }, expect: { cert_min_days: 60 } });
    expect(r).toMatchObject({ ok: false, reason: 'assertion' });
    expect(r.message).toMatch(/^certificate expires in \d+(\.\d)? days, expected at least 60$/);
  });

  it('fails with reason tls for a certificate it does not trust, keeping the phases before it', async () => {
    const r = await runHttp({ url: on(h2, '/') });
    expect(r).toMatchObject({ ok: false, reason: 'tls' });
    expect(r.message).toMatch(/^TLS handshake with 127\.0\.0\.1:\d+ failed: .*(self.signed|local issuer|unable to verify)/i);
    expect(Object.keys(r.phases).sort()).toEqual(['connect', 'dns', 'total']);
  });

  it('says so when the CA file cannot be read', async () => {
    const r = await runHttp({ url: on(h2, '/'), tls: { ca_file: '/nonexistent/ca.pem' } });
    expect(r).toMatchObject({ ok: false, reason: 'internal', message: expect.stringMatching(/^cannot read tls\.ca_file: ENOENT/) });
  });

  it('with insecure: true, reports the untrusted certificate instead of failing', async () => {
    const r = await runHttp({ url: on(h2, '/'), tls: { insecure: true } });
    expect(r).toMatchObject({ ok: true, details: { tls: { authorized: false, cert: { issuer: 'vendorwatch test CA' } } } });
  });

  it('sends the site name as SNI and Host while connecting to a chosen edge address', async () => {
    // www.lab.test resolves nowhere; the certificate is checked against it.
    const r = await runHttp({ url: on(h2, '/static/app.js', 'www.lab.test'), connect_to: '127.0.0.1', tls: { ca_file: pki.caFile } });
    expect(r).toMatchObject({ ok: true, details: { address: '127.0.0.1', protocol: 'h2' } });

    const wrongName = await runHttp({
      url: on(h2, '/static/app.js', 'www.lab.test'),
      connect_to: '127.0.0.1',
      tls: { ca_file: pki.caFile, server_name: 'shop.example.com' },
    });
    expect(wrongName).toMatchObject({ ok: false, reason: 'tls', message: expect.stringContaining('shop.example.com') });
  });

  it('reuses the connection between runs only when asked', async () => {
    const check = { name: 'warm', url: on(h2, '/static/app.js'), tls: { ca_file: pki.caFile }, reuse_connection: true };
    const first = await runHttp(check);
    const second = await runHttp(check);
    expect(first.phases.tls).toBeDefined();
    expect(second).toMatchObject({ ok: true, details: { reused_connection: true } });
    expect(second.phases.tls).toBeUndefined();

    const fresh = await runHttp({ url: on(h2, '/static/app.js'), tls: { ca_file: pki.caFile } });
    expect(fresh).toMatchObject({ details: { reused_connection: false } });
    expect(fresh.phases.tls).toBeDefined();
  });
});
