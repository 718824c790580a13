import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCdnOrigin } from '../../lab/cdn-origin.ts';
import { startFaultServer } from '../../lab/faults.ts';
import type { LabServer } from '../../lab/server.ts';
import { runHttp } from '../support/http.ts';
import { freePort, start, tempDir, waitFor, type Running } from '../support/processes.ts';

/**
 * A real NSD serving lab.test, where edge.lab.test has two addresses: 127.0.0.1 (a healthy
 * origin) and 127.0.0.2 (a broken one, on the same port).
 */
let nsd: Running;
let resolver: string;
let port: number;
const servers: LabServer[] = [];

async function startNsd(zone: string): Promise<{ proc: Running; address: string }> {
  const dir = tempDir('vendorwatch-nsd-');
  const dnsPort = await freePort();
  writeFileSync(join(dir, 'lab.test.zone'), zone);
  writeFileSync(
    join(dir, 'nsd.conf'),
    `server:
  ip-address: 127.0.0.1@${dnsPort}
  username: ""
  chroot: ""
  zonesdir: "${dir}"
  pidfile: "${dir}/nsd.pid"
  database: ""
  zonelistfile: "${dir}/zone.list"
  xfrdfile: "${dir}/xfrd.state"
  xfrdir: "${dir}"
  server-count: 1
remote-control:
  control-enable: no
zone:
  name: lab.test
  zonefile: lab.test.zone
`,
  );
  const proc = start('nsd', ['-d', '-c', join(dir, 'nsd.conf')]);
  proc.child.once('error', () => {});
  const address = `127.0.0.1:${dnsPort}`;
  const { Resolver } = await import('node:dns/promises');
  const probe = new Resolver({ timeout: 500, tries: 1 });
  probe.setServers([address]);
  await waitFor(async () => (await probe.resolve4('edge.lab.test')).length === 2, { what: `nsd serving lab.test\n${proc.output()}` });
  return { proc, address };
}

beforeAll(async () => {
  port = await freePort();
  servers.push(await startCdnOrigin({ host: '127.0.0.1', port }), await startFaultServer({ host: '127.0.0.2', port }));
  const started = await startNsd(`$ORIGIN lab.test.
$TTL 60
@     IN SOA ns1 hostmaster 1 3600 600 86400 60
@     IN NS  ns1
ns1   IN A   127.0.0.1
www   IN A   127.0.0.1
edge  IN A   127.0.0.1
edge  IN A   127.0.0.2
`);
  nsd = started.proc;
  resolver = started.address;
});

afterAll(async () => {
  await nsd?.stop();
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
