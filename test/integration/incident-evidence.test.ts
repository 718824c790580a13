/**
 * Working with the vendor on a real incident: four probe processes in two regions push to a
 * collector process; a lab CDN's eu POP answers 503 (its own status page says all is well).
 * Then: the alert carries the vendor's support fields; notes go in through the API and the CLI;
 * the evidence pack (API and CLI) has the timeline, the failing runs per region and probe with
 * status, edge address, POP and cache status as measured, and what the vendor's status page
 * said, and nothing internal (probe host names, the check URL's token); a restarted collector
 * still has the notes and the pack; the status page shows them.
 */
import { createServer, type Server } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EvidencePack } from '../../agent/collector/evidencePack.ts';
import { startSink, type Sink } from '../support/alertmanager.ts';
import { freePort, runCli, startCli, tempDir, waitFor, type Running } from '../support/processes.ts';
import { startFleet } from '../support/probes.ts';

const TOKEN = 'evidence-token';
/** Probe ids are host names here: the pack must not show them. */
const PROBES = [
  ['eu-a.corp.internal', 'eu'],
  ['eu-b.corp.internal', 'eu'],
  ['us-a.corp.internal', 'us'],
  ['us-b.corp.internal', 'us'],
] as const;

let target: Server;
let euDown = false;
let sink: Sink;
let collector: Running;
let collectorArgs: string[];
let collectorUrl: string;
let config: string;
let probes: Running[] = [];
const dir = tempDir();
const env = { VENDORWATCH_TOKEN: TOKEN };

interface IncidentView {
  id: string;
  vendor: string;
  end: number | null;
  postmortem?: { notes: { text: string; author?: string }[]; ticket?: string; owner?: string; followUps: { text: string }[] };
}
const incidents = async () => ((await (await fetch(`${collectorUrl}/v1/incidents`)).json()) as { incidents: IncidentView[] }).incidents;
const evidence = async (id: string) => (await (await fetch(`${collectorUrl}/v1/incidents/${id}/evidence`)).json()) as EvidencePack;
const webhook = () => sink.bodies('/hook').flatMap((b) => (b as { alerts: { status: string; annotations: Record<string, string> }[] }).alerts);

beforeAll(async () => {
  target = createServer((req, res) => {
    if (req.url === '/api/v2/status.json') {
      res.setHeader('content-type', 'application/json');
      return void res.end(JSON.stringify({ status: { indicator: 'none', description: 'All Systems Operational' } }));
    }
    const region = /region (\S+)\)/.exec(req.headers['user-agent'] ?? '')?.[1];
    res.setHeader('x-served-by', `cache-${region === 'eu' ? 'fra' : 'iad'}-edge1-${region === 'eu' ? 'FRA' : 'IAD'}`);
    res.setHeader('x-cache', 'MISS');
    if (euDown && region === 'eu') {
      res.statusCode = 503;
      return void res.end('eu POP down');
    }
    res.end('fine');
  });
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(target.address() as { port: number }).port}`;
  sink = await startSink();
  collectorUrl = `http://127.0.0.1:${await freePort()}`;
  config = join(dir, 'vendorwatch.yaml');
  writeFileSync(
    config,
    `probe: { spool_dir: ${JSON.stringify(join(dir, 'spool'))}, push_interval: 500ms }
collector:
  token: \${VENDORWATCH_TOKEN}
  journal: ${JSON.stringify(join(dir, 'journal.jsonl'))}
  evaluate_every: 500ms
  status_page: { vendor_status_every: 1s }
consensus: { min_probes: 2 }
alerts:
  webhook: { url: ${sink.url}/hook }
vendors:
  - name: edgeco
    kind: cdn
    status_page: ${base}/
    support_url: https://support.edgeco.example/new
    contacts: [{ name: edgeco NOC, channel: "+1 555 0100" }]
    escalation: [open a P1 ticket, after 30m call the NOC]
    contract: MSA-2024-117
checks:
  - { name: edge-js, vendor: edgeco, kind: http, url: "${base}/app.js?token=secret123", interval: 1s, timeout: 1s }
`,
  );
  ({ collector, collectorArgs, probes } = await startFleet({
    config,
    collectorUrl,
    probes: PROBES,
    env,
    ready: (vendors) => vendors[0]?.state === 'operational',
  }));
}, 120_000);

afterAll(async () => {
  await Promise.all(probes.map((p) => p.stop()));
  await collector?.stop();
  await sink?.close();
  await new Promise<void>((r) => target?.close(() => r()));
});

describe('an incident worked with the vendor', () => {
  let id: string;

  it("pages with the vendor's support URL, escalation, contacts and contract", async () => {
    euDown = true;
    const fired = await waitFor(() => webhook().find((a) => a.status === 'firing'), { what: 'the page', timeoutMs: 60_000 });
    const listed = (await (await fetch(`${collectorUrl}/v1/vendors`)).json()) as { vendors: { support: Record<string, string> }[] };
    expect(listed.vendors[0]!.support.contract).toBe('MSA-2024-117');
    expect(fired.annotations).toMatchObject({
      support_url: 'https://support.edgeco.example/new',
      escalation: '1. open a P1 ticket 2. after 30m call the NOC',
      contacts: 'edgeco NOC: +1 555 0100',
      contract: 'MSA-2024-117',
    });
    id = fired.annotations.incident!;
  }, 70_000);

  it('takes notes through the API (with the token only) and the CLI', async () => {
    const post = (body: unknown, token?: string) =>
      fetch(`${collectorUrl}/v1/incidents/${id}/notes`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify(body),
      });
    expect((await post({ text: 'edgeco eu POP answers 503' })).status).toBe(401);
    expect((await post({ text: 'x'.repeat(3000) }, TOKEN)).status).toBe(400);
    expect((await post({ text: 'x' }, 'wrong-token')).status).toBe(401);
    expect((await post({ text: 'edgeco eu POP answers 503', author: 'sam', owner: 'sam' }, TOKEN)).status).toBe(200);

    const cli = await runCli(
      [
        'incident',
        'note',
        id,
        'edgeco confirms a bad deploy in FRA',
        '--ticket',
        'EDGE-4411',
        '--follow-up',
        'ask for an RFO',
        '--collector',
        collectorUrl,
        '--config',
        config,
      ],
      { env },
    );
    expect(cli.stderr).toBe('');
    expect(cli.code).toBe(0);
    expect(cli.stdout).toContain(`incident ${id} (edgeco): noted text, ticket, follow_up; it has 2 note(s), 1 follow-up(s)`);
    const bad = await runCli(['incident', 'note', 'no-such-incident', 'hello', '--collector', collectorUrl, '--config', config], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^vendorwatch: the collector answered 404: no incident no-such-incident/);
  }, 60_000);

  it('builds an evidence pack from the measured runs, sanitized, and keeps it bounded', async () => {
    // Enough failing runs that each probe's first and last runs are both kept, not every run.
    await waitFor(async () => (await evidence(id)).runs.every((r) => (r.failingRuns ?? 0) >= 12), { what: '12 failing runs per eu probe', timeoutMs: 60_000 });
    euDown = false;
    await waitFor(async () => (await incidents()).find((i) => i.id === id)?.end !== null, { what: 'the incident closed', timeoutMs: 60_000 });

    const pack = await evidence(id);
    expect(pack.incident).toMatchObject({ id, worst: 'regional_outage', regions: ['eu'], vendorTicket: 'EDGE-4411' });
    expect(pack.vendor).toMatchObject({ name: 'edgeco', contract: 'MSA-2024-117', supportUrl: 'https://support.edgeco.example/new' });
    expect(pack.checks).toEqual([{ check: 'edge-js', kind: 'http', target: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/app\.js$/) }]);
    expect(pack.runs.map((r) => [r.check, r.region, r.probe])).toEqual([
      ['edge-js', 'eu', 'eu probe 1'],
      ['edge-js', 'eu', 'eu probe 2'],
    ]);
    for (const r of pack.runs) {
      expect(r.failingRuns).toBeGreaterThanOrEqual(12);
      expect(r.kept).toHaveLength(10);
      expect(r.kept[0]).toMatchObject({ reason: 'http_status', phase: 'response', status: 503, address: '127.0.0.1', pop: 'FRA', cache: 'miss' });
      expect(r.kept[0]!.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/app\.js$/);
    }
    expect(pack.timeline.map((t) => t.what)).toEqual(expect.arrayContaining(['edge-js in eu: failing', 'edgeco: regional_outage in eu']));
    expect(pack.timeline.at(-1)!.what).toMatch(/^incident closed: edgeco operational again after/);
    expect(pack.vendorSaid?.[0]).toMatchObject({ indicator: 'none', description: 'All Systems Operational' });
    expect(pack.realUsers).toBeNull();
    const text = JSON.stringify(pack);
    for (const secret of ['secret123', 'token=', 'corp.internal', 'sam', 'bad deploy']) expect(text).not.toContain(secret);

    const md = await runCli(['evidence', id, '--collector', collectorUrl]);
    expect(md.code).toBe(0);
    expect(md.stdout).toContain(`# edgeco: regional outage in eu (incident ${id})`);
    expect(md.stdout).toContain('- **Real users**: no beacon data');
    expect(md.stdout).toContain('- **Your ticket**: EDGE-4411');
    expect(md.stdout).toMatch(/\| response \(http_status\) \| 503 \| 127\.0\.0\.1, POP FRA, cache miss \| .*\| HTTP 503, expected 200-399 \|/);
    expect(md.stdout).toContain('"All Systems Operational" (indicator none)');
    expect(md.stdout).toContain('- **Where**: fails in eu; works in us;');
    expect(md.stdout).toContain('- **Edges seen failing**: 127.0.0.1 POP FRA');
    expect(md.stdout).not.toContain('corp.internal');
    writeFileSync(join(dir, 'evidence.md'), md.stdout);
  }, 130_000);

  it('keeps notes and the pack across a collector restart, and shows them on the status page', async () => {
    await collector.stop();
    collector = startCli(collectorArgs, { env });
    const restored = await waitFor(async () => (await incidents()).find((i) => i.id === id), { what: 'the collector back', timeoutMs: 60_000 });
    expect(restored.postmortem).toMatchObject({
      notes: [{ text: 'edgeco eu POP answers 503', author: 'sam' }, { text: 'edgeco confirms a bad deploy in FRA' }],
      owner: 'sam',
      ticket: 'EDGE-4411',
      followUps: [{ text: 'ask for an RFO' }],
    });
    expect((await evidence(id)).runs.map((r) => r.kept.length)).toEqual([10, 10]);
    const page = await (await fetch(`${collectorUrl}/`)).text();
    expect(page).toContain('edgeco confirms a bad deploy in FRA');
    expect(page).toContain('<dt>Vendor ticket</dt><dd>EDGE-4411</dd>');
    expect(page).toContain('<dt>Contract</dt><dd>MSA-2024-117</dd>');
    expect(page).toContain(`/v1/incidents/${id}/evidence?format=md`);
  }, 90_000);
});
