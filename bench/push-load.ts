/**
 * The load generator of the consensus benchmark: it pushes the fleet's CheckResults to a server
 * as the probes would (`POST /v1/results`, bearer token, `{"results": [...]}` batches of one
 * probe's results, fresh ids and timestamps), over kept-alive connections (undici).
 *
 * Its pushes walk the fleet in the order probes produce them: the next batch of probe 1's
 * checks, then probe 2's, …, then the batch after; one walk per server, carried on between jobs.
 * A job runs one of two ways:
 *   closed loop  `connections` pushes in flight, each sent when one answers: the most the
 *                server takes (latency then includes queueing at the server)
 *   paced        a push every batch/rate seconds whatever the answers (open loop: latency is
 *                counted from when the push was due, so a slow server cannot hide its backlog)
 * and ends after `seconds` or once `results` results are sent. Jobs with the same number of
 * connections to a server share a pool of them.
 *
 * Run as a script (`push-load.ts '<FleetSize JSON>'`; the benchmark pins it to a CPU), it reads
 * one job per line on stdin and answers each with one report line.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { Fleet, type FleetSize } from './fleet.ts';
import { readyLine, runScript, startScript } from './script-process.ts';

interface LoadJob {
  url: string;
  token: string;
  /** Results per push. */
  batch: number;
  connections: number;
  seconds?: number;
  results?: number;
  /** Results per second (paced); closed loop when absent. */
  rate?: number;
}

export interface LoadReport {
  sent: number;
  /** Results the server accepted. */
  accepted: number;
  pushes: number;
  seconds: number;
  /** Per push, in ms. */
  latenciesMs: number[];
  failed: number;
  firstFailure?: string;
}

export interface PushLoad {
  run(job: LoadJob): Promise<LoadReport>;
  close(): Promise<void>;
}

export async function startPushLoad(size: FleetSize, cpu: number): Promise<PushLoad> {
  const script = startScript(fileURLToPath(import.meta.url), [JSON.stringify(size)], { cpu });
  await readyLine<{ ready: true }>(script, 'the push load generator');
  return {
    async run(job) {
      script.send(JSON.stringify(job));
      return JSON.parse(await script.next(((job.seconds ?? 0) + 300) * 1000)) as LoadReport;
    },
    close: () => script.close(),
  };
}

/** A result as JSON text with its id and startedAt left open: serialised once, stamped per push. */
function template(fleet: Fleet, probe: number, check: number): (startedAt: number) => string {
  const json = JSON.stringify(fleet.result(fleet.probes[probe]!, fleet.checks[check]!, 0));
  const idEnd = '{"id":"'.length + 36;
  const [head, tail] = json.slice(idEnd).split('"startedAt":0');
  if (tail === undefined || !json.startsWith('{"id":"')) throw new Error('unexpected CheckResult layout');
  return (startedAt) => `{"id":"${randomUUID()}${head}"startedAt":${startedAt}${tail}`;
}

/** Walks the fleet batch by batch, probes taking turns (see the header). */
class Walk {
  private step = 0;
  private readonly templates = new Map<number, (startedAt: number) => string>();

  constructor(private readonly fleet: Fleet) {}

  /** The next push body of at most `batch` results, and how many it holds. */
  next(batch: number, limit: number): { body: string; count: number } {
    const { probes, checks } = this.fleet;
    const chunks = Math.ceil(checks.length / batch);
    const probe = this.step % probes.length;
    const chunk = Math.floor(this.step / probes.length) % chunks;
    this.step = (this.step + 1) % (probes.length * chunks);
    const first = chunk * batch;
    const count = Math.min(batch, checks.length - first, limit);
    const startedAt = Date.now() - 150;
    const results: string[] = [];
    for (let c = first; c < first + count; c++) {
      const key = probe * checks.length + c;
      let stamp = this.templates.get(key);
      if (!stamp) this.templates.set(key, (stamp = template(this.fleet, probe, c)));
      results.push(stamp(startedAt));
    }
    return { body: `{"results":[${results.join(',')}]}`, count };
  }
}

async function push(pool: Pool, job: LoadJob, body: string, count: number): Promise<{ accepted: number; failure?: string }> {
  const res = await pool.request({
    path: '/v1/results',
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${job.token}` },
    body,
  });
  const text = await res.body.text();
  if (res.statusCode === 204) return { accepted: count };
  if (res.statusCode !== 200) return { accepted: 0, failure: `HTTP ${res.statusCode}: ${text.slice(0, 200)}` };
  const answer = JSON.parse(text) as { accepted: number; duplicate: number; unknown_check: number };
  return answer.accepted === count ? { accepted: count } : { accepted: answer.accepted, failure: `accepted ${answer.accepted} of ${count}: ${text}` };
}

/** Set when stdin closes: the job under way ends at its next push. */
const stopping = new AbortController();

async function runJob(job: LoadJob, pool: Pool, walk: Walk): Promise<LoadReport> {
  const report: LoadReport = { sent: 0, accepted: 0, pushes: 0, seconds: 0, latenciesMs: [], failed: 0 };
  const start = performance.now();
  const deadline = start + (job.seconds ?? Number.POSITIVE_INFINITY) * 1000;
  let toSend = job.results ?? Number.POSITIVE_INFINITY;
  const more = (at: number) => toSend > 0 && at < deadline && !stopping.signal.aborted;
  const send = async (dueAt: number) => {
    const { body, count } = walk.next(job.batch, toSend);
    toSend -= count;
    report.sent += count;
    try {
      const { accepted, failure } = await push(pool, job, body, count);
      report.accepted += accepted;
      if (failure) {
        report.failed++;
        report.firstFailure ??= failure;
      }
    } catch (err) {
      report.failed++;
      report.firstFailure ??= (err as Error).message;
    }
    report.pushes++;
    report.latenciesMs.push(performance.now() - dueAt);
  };
  if (job.rate === undefined) {
    const worker = async () => {
      while (more(performance.now())) await send(performance.now());
    };
    await Promise.all(Array.from({ length: job.connections }, worker));
  } else {
    const gapMs = (job.batch / job.rate) * 1000;
    const inFlight = new Set<Promise<void>>();
    for (let due = start; more(due); due += gapMs) {
      if (due > performance.now()) await sleep(due - performance.now());
      const p = send(due).finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    await Promise.all(inFlight);
  }
  report.seconds = (performance.now() - start) / 1000;
  return report;
}

await runScript(import.meta.url, async ([size]) => {
  const fleet = new Fleet(JSON.parse(size!) as FleetSize);
  const walks = new Map<string, Walk>();
  const pools = new Map<string, Pool>();
  let queue = Promise.resolve();
  createInterface({ input: process.stdin }).on('line', (line) => {
    const job = JSON.parse(line) as LoadJob;
    let walk = walks.get(job.url);
    if (!walk) walks.set(job.url, (walk = new Walk(fleet)));
    const poolKey = `${job.url} ${job.connections}`;
    let pool = pools.get(poolKey);
    if (!pool) pools.set(poolKey, (pool = new Pool(job.url, { connections: job.connections, headersTimeout: 60_000, bodyTimeout: 60_000 })));
    queue = queue.then(async () => void process.stdout.write(`${JSON.stringify(await runJob(job, pool, walk))}\n`));
  });
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
  return async () => {
    stopping.abort();
    await queue;
    await Promise.all([...pools.values()].map((pool) => pool.close()));
  };
});
