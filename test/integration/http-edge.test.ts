import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNsd, type AuthoritativeServer } from '../../lab/authoritative.ts';
import { startCdnOrigin } from '../../lab/cdn-origin.ts';
import { startFaultServer } from '../../lab/faults.ts';
import type { LabServer } from '../../lab/server.ts';
import { runHttp } from '../support/http.ts';
import { freePort } from '../support/processes.ts';

/**
 * A real NSD serving lab.test, where edge.lab.test has two addresses: 127.0.0.1 (a healthy
 * origin) and 127.0.0.2 (a broken one, on the same port).
 */
let nsd: AuthoritativeServer;
let resolver: string;
let port: number;
const servers: LabServer[] = [];

beforeAll(async () => {
  port = await freePort();
  servers.push(await startCdnOrigin({ host: '127.0.0.1', port }), await startFaultServer({ host: '127.0.0.2', port }));
  nsd = await startNsd({
    port: await freePort(),
    zones: [
      {
        origin: 'lab.test',
        serial: 1,
        records: ['@ NS ns1', 'ns1 A 127.0.0.1', 'www A 127.0.0.1', 'edge A 127.0.0.1', 'edge A 127.0.0.2'],
      },
    ],
  });
  resolver = nsd.address;
});

afterAll(async () => {
  await nsd?.close();
  await Promise.all(servers.map((s) => s.close()));
});

describe('edge targeting and chosen resolvers (real NSD)', () => {
  it('resolves through the chosen DNS server and times the lookup', async () => {
    const r = await runHttp({ url: `http://www.lab.test:${port}/static/app.js`, resolver });
    expect(r).toMatchObject({ ok: true, details: { address: '127.0.0.1', status: 200 } });
    expect(r.phases.dns).toBeGreaterThan(0);
  });

  it('a name the server does not know is reason dns', async () => {
    const r = await runHttp({ url: `http://nope.lab.test:${port}/`, resolver });
    expect(r).toMatchObject({ ok: false, reason: 'dns', message: 'DNS lookup of nope.lab.test failed: ENOTFOUND' });
  });

  it('every_address visits each address the name resolves to and names the one that fails', async () => {
    const r = await runHttp({ url: `http://edge.lab.test:${port}/static/app.js`, resolver, every_address: true });
    expect(r).toMatchObject({ ok: false, reason: 'http_status', message: 'address 127.0.0.2: HTTP 404, expected 200-399' });
    expect(r.details.addresses).toMatchObject([
      { address: '127.0.0.1', ok: true, status: 200 },
      { address: '127.0.0.2', ok: false, reason: 'http_status', status: 404 },
    ]);
    // The first address's request gives the result's phases, including the shared lookup.
    expect(r.phases.dns).toBeGreaterThan(0);
    expect(r.details.address).toBe('127.0.0.1');
  });

  it('connect_to a name: resolves the edge name, sends the site name', async () => {
    const r = await runHttp({ url: `http://shop.example.com:${port}/static/app.js`, connect_to: 'www.lab.test', resolver });
    expect(r).toMatchObject({ ok: true, details: { address: '127.0.0.1', status: 200 } });
    expect(r.phases.dns).toBeGreaterThan(0);
  });
});
