/**
 * What a person receives for one vendor incident, counted in a real Alertmanager: six probe
 * processes in three regions (two each, interval 2 s) push to a collector process, which alerts
 * Alertmanager; Alertmanager notifies a sink for every alert on its own (group_by ['...']), so
 * each notification it sends is one page or ticket.
 *
 * Each scenario breaks a vendor of its own, so one scenario's incidents never count towards
 * another's flapping.
 */
import { createServer, type Server } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAlertmanager, startSink, type Alertmanager, type Sink } from '../support/alertmanager.ts';
import { freePort, startCli, tempDir, waitFor, type Running } from '../support/processes.ts';

const TOKEN = 'incident-token';
const PROBES = [
  ['r1-a', 'r1'],
  ['r1-b', 'r1'],
  ['r2-a', 'r2'],
  ['r2-b', 'r2'],
  ['r3-a', 'r3'],
  ['r3-b', 'r3'],
] as const;

/** Per vendor path: which regions fail (HTTP 503) right now. */
const failing: Record<string, Set<string>> = {};
/** Probes whose next request on a path hangs past the check's timeout, once. */
const hangOnce: Record<string, Set<string>> = {};

let target: Server;
let sink: Sink;
let am: Alertmanager;
let collector: Running;
let collectorUrl: string;
const probes: Running[] = [];
const dir = tempDir();

interface Notified {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
}
/** Every alert in every notification Alertmanager sent, in order. */
const notified = () => sink.bodies('/alertmanager').flatMap((b) => (b as { alerts: Notified[] }).alerts);
const forVendor = (vendor: string) => notified().filter((a) => a.labels.vendor === vendor);
/** Distinct alert identities (label sets) Alertmanager notified about for a vendor. */
const identities = (vendor: string) =>
  [...new Set(forVendor(vendor).map((a) => JSON.stringify(Object.entries(a.labels).sort())))].map((s) => Object.fromEntries(JSON.parse(s)));
const count = (vendor: string, alertname: string, status: Notified['status']) =>
  forVendor(vendor).filter((a) => a.labels.alertname === alertname && a.status === status).length;

interface IncidentView {
  worst: string;
  regions: string[];
  end: number | null;
  flapped: boolean;
}
const incidents = async (vendor: string) =>
  ((await (await fetch(`${collectorUrl}/v1/incidents?vendor=${vendor}`)).json()) as { incidents: IncidentView[] }).incidents;
const vendorState = async (name: string) => {
  const body = (await (await fetch(`${collectorUrl}/v1/vendors`)).json()) as { ready: boolean; vendors: { name: string; state: string }[] };
  return body.ready ? body.vendors.find((v) => v.name === name)?.state : undefined;
};
const activeInAm = async (vendor: string) => (await am.alerts()).filter((a) => a.labels.vendor === vendor);

/** Breaks a vendor in some regions (all at once: the same instant for every probe). */
const breakIn = (vendor: string, regions: string[]) => (failing[vendor] = new Set(regions));
const repair = (vendor: string) => (failing[vendor] = new Set());

async function recovered(vendor: string): Promise<void> {
  await waitFor(async () => (await vendorState(vendor)) === 'operational' && (await activeInAm(vendor)).length === 0, {
    what: `${vendor} operational and nothing active in Alertmanager`,
    timeoutMs: 60_000,
  });
  // Alertmanager sends the resolved notification on its own schedule (group_interval 1 s).
  await waitFor(() => forVendor(vendor).some((a) => a.status === 'resolved'), { what: `${vendor} resolved notification` });
}

beforeAll(async () => {
  target = createServer((req, res) => {
    const m = /probe (\S+); region (\S+)\)/.exec(req.headers['user-agent'] ?? '');
    const [probe, region] = [m?.[1] ?? '', m?.[2] ?? ''];
    const vendor = new URL(req.url ?? '/', 'http://target').pathname.slice(1);
    if (hangOnce[vendor]?.delete(probe)) return void setTimeout(() => res.end('too late'), 3000);
    res.statusCode = failing[vendor]?.has(region) ? 503 : 200;
    res.end(res.statusCode === 200 ? 'fine' : 'down');
  });
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(target.address() as { port: number }).port}`;
  sink = await startSink();
  am = await startAlertmanager(`${sink.url}/alertmanager`);

  collectorUrl = `http://127.0.0.1:${await freePort()}`;
  const vendors = ['spread', 'widen', 'flap', 'thin'];
  const config = join(dir, 'vendorwatch.yaml');
  writeFileSync(
    config,
    `probe: { spool_dir: ${JSON.stringify(join(dir, 'spool'))}, push_interval: 500ms }
collector:
  token: \${VENDORWATCH_TOKEN}
  journal: ${JSON.stringify(join(dir, 'journal.jsonl'))}
  evaluate_every: 500ms
  # Long enough that the flap scenario's three incidents fall inside it on a loaded machine.
  flapping: { window: 10m, incidents: 3 }
alerts:
  alertmanager: { url: ${am.url} }
vendors:
${vendors.map((v) => `  - { name: ${v}, kind: cdn }`).join('\n')}
checks:
${vendors
  .filter((v) => v !== 'thin')
  .map((v) => `  - { name: ${v}-js, vendor: ${v}, kind: http, url: "${base}/${v}", interval: 2s, timeout: 1s }`)
  .join('\n')}
  # Half the votes of a region make a verdict: in r1, one failing probe of two is enough (thin evidence).
  - { name: thin-js, vendor: thin, kind: http, url: "${base}/thin", interval: 2s, timeout: 1s, regions: [r1], consensus: { min_probes: 1, quorum: 0.5 } }
`,
  );
  const env = { VENDORWATCH_TOKEN: TOKEN };
  collector = startCli(['collector', '--config', config, '--listen', new URL(collectorUrl).host], { env });
  for (const [id, region] of PROBES) {
    const listen = `127.0.0.1:${await freePort()}`;
    probes.push(startCli(['probe', '--config', config, '--listen', listen, '--id', id, '--region', region, '--collector', collectorUrl], { env }));
  }
  await waitFor(async () => (await Promise.all(vendors.map(vendorState))).every((s) => s === 'operational'), {
    what: 'every vendor operational',
    timeoutMs: 120_000,
  }).catch((err: Error) => {
    throw new Error(`${err.message}\ncollector:\n${collector.output().slice(-4000)}`);
  });
}, 180_000);

afterAll(async () => {
  await Promise.all(probes.map((p) => p.stop()));
  await collector?.stop();
  await am?.stop();
  await sink?.close();
  await new Promise<void>((r) => target?.close(() => r()));
});

describe('one vendor incident, one page (real Alertmanager)', () => {
  it('an outage that reaches three regions at once and recovers: one page identity, fired once, resolved once, no flapping', async () => {
    breakIn('spread', ['r1', 'r2', 'r3']);
    await waitFor(async () => (await activeInAm('spread')).some((a) => a.annotations.regions === 'r1, r2, r3'), {
      what: 'spread down in r1, r2, r3 in Alertmanager',
    });
    repair('spread');
    await recovered('spread');

    expect(identities('spread')).toEqual([{ alertname: 'VendorOutage', severity: 'page', vendor: 'spread' }]);
    expect(count('spread', 'VendorOutage', 'firing')).toBe(1);
    expect(count('spread', 'VendorOutage', 'resolved')).toBe(1);
    const resolved = forVendor('spread').find((a) => a.status === 'resolved')!;
    expect(resolved.annotations.summary).toMatch(/^Resolved: spread was hard down in r1, r2, r3 for \d+s \(incident .+\)\.$/);
    expect(await incidents('spread')).toMatchObject([{ worst: 'hard_down', regions: ['r1', 'r2', 'r3'], flapped: false }]);
  }, 120_000);

  it('a regional outage that widens to hard down: still one page, its annotations updated', async () => {
    breakIn('widen', ['r1']);
    const first = await waitFor(async () => (await activeInAm('widen'))[0], { what: 'widen regional outage in Alertmanager' });
    expect(first.labels).toEqual({ alertname: 'VendorOutage', vendor: 'widen', severity: 'page' });
    expect(first.annotations).toMatchObject({ state: 'regional_outage', regions: 'r1' });
    breakIn('widen', ['r1', 'r2']);
    await waitFor(async () => (await activeInAm('widen')).some((a) => a.annotations.state === 'hard_down' && a.annotations.regions === 'r1, r2'), {
      what: 'the same alert, now hard down in r1, r2',
    });
    expect((await activeInAm('widen')).map((a) => a.startsAt)).toEqual([first.startsAt]);
    repair('widen');
    await recovered('widen');

    expect(identities('widen')).toEqual([{ alertname: 'VendorOutage', severity: 'page', vendor: 'widen' }]);
    expect(count('widen', 'VendorOutage', 'firing')).toBe(1);
    expect(count('widen', 'VendorOutage', 'resolved')).toBe(1);
  }, 120_000);

  it('three separate incidents within the flapping window: two pages, then exactly one VendorFlapping', async () => {
    for (let i = 1; i <= 3; i++) {
      breakIn('flap', ['r1', 'r2', 'r3']);
      await waitFor(async () => (await incidents('flap')).length === i, { what: `incident ${i} open` });
      repair('flap');
      await waitFor(async () => (await incidents('flap')).every((inc) => inc.end !== null), { what: `incident ${i} closed`, timeoutMs: 60_000 });
      // Separate as a person sees them: the page of one is resolved before the next begins.
      if (i < 3) await waitFor(() => count('flap', 'VendorOutage', 'resolved') === i, { what: `incident ${i} resolved in Alertmanager` });
    }
    await waitFor(() => count('flap', 'VendorFlapping', 'firing') === 1, { what: 'VendorFlapping notified' });
    // Give Alertmanager a few group intervals to send anything more it would.
    await waitFor(async () => (await activeInAm('flap')).length === 1, { what: 'only VendorFlapping active' });
    await new Promise((r) => setTimeout(r, 3000));

    expect(count('flap', 'VendorFlapping', 'firing')).toBe(1);
    expect(count('flap', 'VendorOutage', 'firing')).toBe(2);
    expect(count('flap', 'VendorOutage', 'resolved')).toBe(2);
    const flapping = forVendor('flap').find((a) => a.labels.alertname === 'VendorFlapping')!;
    expect(flapping.labels).toEqual({ alertname: 'VendorFlapping', vendor: 'flap', severity: 'page' });
    expect(flapping.annotations.summary).toMatch(/^flap is FLAPPING: 3 separate incidents since /);
    expect((await incidents('flap')).map((i) => i.flapped)).toEqual([true, false, false]);
  }, 180_000);

  it('one timed-out run of the only failing probe (thin evidence) pages nobody', async () => {
    const failures = async () => {
      const text = await (await fetch(`${collectorUrl}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith('vendorwatch_consensus_votes{vendor="thin",check="thin-js",region="r1",vote="failing"}'));
      return Number(line?.split(' ').pop() ?? 0);
    };
    hangOnce.thin = new Set(['r1-a']);
    // The failing vote is counted (and would decide the region at quorum 0.5)...
    await waitFor(async () => (await failures()) === 1, { what: 'the timed-out run voting' });
    // ...until the next run passes.
    await waitFor(async () => (await failures()) === 0, { what: 'the next run passing' });
    await new Promise((r) => setTimeout(r, 3000));
    expect(await vendorState('thin')).toBe('operational');
    expect(await incidents('thin')).toEqual([]);
    expect(forVendor('thin')).toEqual([]);
  }, 120_000);
});
