import { randomUUID } from 'node:crypto';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/load.ts';
import type { CheckResult, ResultOfKind } from '../../config/result.ts';
import { startCollector } from '../../agent/collector/start.ts';
import { Push } from '../../agent/probe/push.ts';
import { startServer } from '../../agent/server.ts';
import { freePort, startCli, tempDir, waitFor, type Running } from '../support/processes.ts';
import { promtoolCheckMetrics } from '../support/prometheus.ts';

type HttpResult = ResultOfKind<'http'>;

/** The metric families a /metrics exposition declares (registered ones, with or without samples). */
const families = (exposition: string) => [...exposition.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!);
/** Families only a probe registers: its checks, each kind's own, its push and its clock. */
const probeFamily = /^vendorwatch_(check_|checks_|dns_|browser_|http_(cache|cert|edge)_|push_|probe_time_)/;
/** Families only a collector registers: ingest, vendor states, consensus, probe health, alerts, journal, RUM. */
const collectorFamily = /^vendorwatch_(ingest_|vendor_|consensus_|probe_(up|unhealthy|clock_skew)|alert_|journal_|rum_)/;

const TOKEN = 'push-test-token';
const dir = tempDir();
const yaml = (journal: string) => `collector: { token: ${TOKEN}, journal: ${JSON.stringify(journal)}, max_body_bytes: 20000 }
consensus: { min_probes: 1 }
vendors: [{ name: acme }]
checks:
  - { name: acme-js, vendor: acme, kind: http, url: "http://127.0.0.1:1/", interval: 1s, timeout: 1s }
`;

function result(extra: Partial<HttpResult> = {}): HttpResult {
  return {
    id: randomUUID(),
    check: 'acme-js',
    vendor: 'acme',
    kind: 'http',
    role: 'delivery',
    probe: 'p1',
    region: 'eu',
    startedAt: Date.now(),
    ok: true,
    degraded: false,
    reason: 'ok',
    message: 'ok',
    phases: { total: 0.01 },
    assertions: [],
    details: {},
    ...extra,
  };
}

describe('POST /v1/results on a collector process', () => {
  let collector: Running;
  let url: string;
  beforeAll(async () => {
    const config = join(dir, 'collector.yaml');
    writeFileSync(config, yaml(join(dir, 'journal.jsonl')));
    const listen = `127.0.0.1:${await freePort()}`;
    url = `http://${listen}`;
    collector = startCli(['collector', '--config', config, '--listen', listen]);
    await waitFor(async () => (await fetch(`${url}/healthz`)).ok, { what: `collector up\n${collector.output()}` });
  });
  afterAll(() => collector?.stop());

  const post = (body: string, token: string | null = TOKEN) =>
    fetch(`${url}/v1/results`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    });

  it('refuses a missing or wrong token with 401', async () => {
    const body = JSON.stringify({ results: [result()] });
    expect((await post(body, null)).status).toBe(401);
    const wrong = await post(body, 'not-the-token');
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({ error: 'missing or wrong bearer token' });
  });

  it('refuses a bad body with 400 and says what is wrong', async () => {
    const notJson = await post('{"results": [');
    expect(notJson.status).toBe(400);
    expect((await notJson.json()).error).toMatch(/^body is not JSON/);
    const bad = await post(JSON.stringify({ results: [{ ...result(), startedAt: 'yesterday', reason: 'bored' }] }));
    expect(bad.status).toBe(400);
    const { error } = await bad.json();
    expect(error).toMatch(/^not a batch of CheckResults/);
    expect(error).toContain('results[0].startedAt');
    expect(error).toContain('results[0].reason');
  });

  it('refuses a malformed result on its own, with the reason, and takes the rest of its batch', async () => {
    // Another probe than the other tests', whose counts they check.
    const res = await post(JSON.stringify({ results: [{ ...result({ probe: 'p-mixed' }), reason: 'bored' }, result({ probe: 'p-mixed' })] }));
    expect(res.status).toBe(200);
    const answer = await res.json();
    expect(answer).toMatchObject({ accepted: 1, invalid: 1 });
    expect(answer.refused).toHaveLength(1);
    expect(answer.refused[0]).toMatchObject({ reason: 'invalid' });
    expect(answer.refused[0].error).toContain('results[0].reason');
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/vendorwatch_ingest_results_total\{probe="",result="invalid"\} [1-9]/);
  });

  it('refuses an oversized body with 413', async () => {
    const big = JSON.stringify({ results: Array.from({ length: 100 }, () => result({ message: 'x'.repeat(500) })) });
    expect((await post(big)).status).toBe(413);
  });

  it('accepts a batch once: a re-sent batch counts as duplicates, unknown checks are counted and dropped', async () => {
    const batch = JSON.stringify({ results: [result(), result({ check: 'not-configured' })] });
    const first = await post(batch);
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({ accepted: 1, duplicate: 0, unknown_check: 1, refused: [] });
    expect(await (await post(batch)).json()).toMatchObject({ accepted: 0, duplicate: 2, unknown_check: 0, refused: [] });
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toContain('vendorwatch_ingest_results_total{probe="p1",result="accepted"} 1');
    expect(metrics).toContain('vendorwatch_ingest_results_total{probe="p1",result="duplicate"} 2');
    expect(metrics).toContain('vendorwatch_ingest_requests_total{code="401"} 2');
  });

  it('serves vendor states and metrics that pass promtool', async () => {
    const vendors = await waitFor(async () => {
      const body = (await (await fetch(`${url}/v1/vendors`)).json()) as { ready: boolean; vendors: { name: string; state: string }[] };
      return body.ready && body.vendors[0]?.state !== 'unknown' ? body.vendors : undefined;
    });
    expect(vendors[0]).toMatchObject({ name: 'acme', state: 'operational' });
    const exposition = await (await fetch(`${url}/metrics`)).text();
    expect(exposition).toContain('vendorwatch_vendor_state{vendor="acme",state="operational"} 1');
    expect(promtoolCheckMetrics(exposition)).toEqual({ status: 0, output: '' });
  });

  it('exports only the families of what it runs: none of a probe', async () => {
    const names = families(await (await fetch(`${url}/metrics`)).text());
    expect(names).toEqual(expect.arrayContaining(['vendorwatch_vendor_state', 'vendorwatch_ingest_results_total', 'vendorwatch_rum_beacons_total']));
    expect(names.filter((n) => probeFamily.test(n))).toEqual([]);
  });
});

describe('a probe process', () => {
  it('exports only the families of what it runs: none of a collector, none of RUM', async () => {
    const config = join(dir, 'probe.yaml');
    writeFileSync(config, `probe: { spool_dir: ${JSON.stringify(join(dir, 'probe-spool'))} }\n${yaml(join(dir, 'probe-journal.jsonl'))}`);
    const listen = `127.0.0.1:${await freePort()}`;
    const nobody = `http://127.0.0.1:${await freePort()}`;
    const probe = startCli(['probe', '--config', config, '--listen', listen, '--region', 'eu', '--id', 'p1', '--collector', nobody], {
      env: { VENDORWATCH_TOKEN: TOKEN },
    });
    try {
      // Its one check has run (and failed: nothing listens on port 1), so the check families have samples.
      const exposition = await waitFor(
        async () => {
          const text = await (await fetch(`http://${listen}/metrics`)).text();
          return text.includes('vendorwatch_check_runs_total{') ? text : undefined;
        },
        { what: `a check run on /metrics\n${probe.output()}` },
      );
      const names = families(exposition);
      expect(names).toEqual(expect.arrayContaining(['vendorwatch_check_success', 'vendorwatch_dns_responses_total', 'vendorwatch_push_results_total']));
      expect(names.filter((n) => collectorFamily.test(n))).toEqual([]);
    } finally {
      await probe.stop();
    }
  });
});

describe('the probe spool', () => {
  it('keeps the newest results within its bounds while no collector answers, then delivers them', async () => {
    const logger = pino({ level: 'silent' });
    const port = await freePort();
    const spoolDir = join(dir, 'spool');
    const push = new Push({
      collectors: [`http://127.0.0.1:${port}`],
      token: TOKEN,
      probeId: 'p1',
      spoolDir,
      intervalMs: 60_000,
      maxBatchBytes: 512 * 1024,
      maxBytes: 10_000_000,
      maxResults: 30,
      logger,
    });
    push.start();
    const outbox = push.outboxes[0]!;
    const sent: CheckResult[] = [];
    for (let batch = 0; batch < 10; batch++) {
      for (let i = 0; i < 10; i++) {
        const r = result({ startedAt: Date.now() });
        sent.push(r);
        push.add(r);
      }
      outbox.flush();
    }
    // 100 results in 10 batches, 30 allowed: the 7 oldest batches are gone, and counted.
    expect(outbox.stats).toMatchObject({ queued: 100, dropped: 70, delivered: 0 });
    expect(readdirSync(join(spoolDir, 'p1', `127.0.0.1_${port}`))).toHaveLength(3);

    // The collector comes up on that address: the spool drains into it.
    const config = parseConfig(yaml(join(dir, 'journal-2.jsonl')), 't.yaml', {});
    const running = startCollector(config, logger);
    const accepted: string[] = [];
    const accept = running.ingest.accept.bind(running.ingest);
    running.ingest.accept = (results, at) => {
      accepted.push(...results.map((r) => r.id));
      return accept(results, at);
    };
    const server = await startServer({ listen: `127.0.0.1:${port}`, logger, routes: running.routes });
    try {
      await waitFor(() => outbox.stats.delivered === 30, { what: 'spool delivered' });
      expect(accepted).toEqual(sent.slice(70).map((r) => r.id));
      await push.stop(1000);
      expect(readdirSync(join(spoolDir, 'p1', `127.0.0.1_${port}`))).toEqual([]);
    } finally {
      await server.close();
      await running.stop();
    }
  });
});
