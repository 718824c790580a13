import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { pino } from 'pino';
import { parseConfig } from '../../config/load.ts';
import type { Check } from '../../config/schema.ts';
import type { CheckResult } from '../../config/result.ts';
import { newResult, type CheckContext } from '../../agent/probe/checks/check.ts';
import { checksForRegion } from '../../config/regions.ts';
import { Scheduler } from '../../agent/probe/scheduler.ts';

const logger = pino({ level: 'silent' });
const probe = { id: 'p1', region: 'eu' };

function checks(...specs: string[]): Check[] {
  const text = `vendors: [{ name: v }]\nchecks:\n${specs.map((s) => `  - { vendor: v, kind: http, url: "http://x.test/", ${s} }`).join('\n')}\n`;
  return parseConfig(text, 't.yaml', {}).checks;
}

/** A check body that finishes after `ms` of (fake) time, or when aborted. */
function sleeper(ms: number, log: string[] = []) {
  return (check: Check, ctx: CheckContext) =>
    new Promise<CheckResult>((resolve) => {
      log.push(`start ${check.name} @${Date.now()}`);
      const t = setTimeout(() => resolve(newResult(check, ctx.probe)), ms);
      ctx.signal.addEventListener('abort', () => {
        clearTimeout(t);
        resolve({ ...newResult(check, ctx.probe), ok: false, reason: 'timeout', message: 'aborted' });
      });
    });
}

describe('Scheduler', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs each check on its interval after a random offset within the first interval', async () => {
    const log: string[] = [];
    const results: CheckResult[] = [];
    const s = new Scheduler({
      checks: checks('name: a, interval: 10s, timeout: 1s', 'name: b, interval: 4s, timeout: 1s'),
      vendors: [],
      probe,
      logger,
      concurrency: 10,
      onResult: (r) => results.push(r),
      run: sleeper(100, log),
      random: () => 0.5,
    });
    s.start();
    await vi.advanceTimersByTimeAsync(20_000);
    await s.stop();
    expect(log.filter((l) => l.startsWith('start a'))).toEqual(['start a @5000', 'start a @15000']);
    expect(log.filter((l) => l.startsWith('start b'))).toEqual(['start b @2000', 'start b @6000', 'start b @10000', 'start b @14000', 'start b @18000']);
    expect(results).toHaveLength(7);
    expect(results.every((r) => r.probe === 'p1' && r.region === 'eu')).toBe(true);
  });

  it('never overlaps runs of the same check: a run still going is not started again', async () => {
    let running = 0;
    let maxRunning = 0;
    let runs = 0;
    const s = new Scheduler({
      checks: checks('name: slow, interval: 1s, timeout: 1s'),
      vendors: [],
      probe,
      logger,
      concurrency: 10,
      onResult: () => {},
      // Ignores its signal and takes 2.5 s: the hard timeout ends it at 1 s + grace.
      run: (check, ctx) => {
        runs++;
        running++;
        maxRunning = Math.max(maxRunning, running);
        return new Promise((r) => setTimeout(() => (running--, r(newResult(check, ctx.probe))), 2500));
      },
      random: () => 0,
      graceMs: 5000,
    });
    s.start();
    await vi.advanceTimersByTimeAsync(10_000);
    await s.stop();
    expect(maxRunning).toBe(1);
    // Due at 0,1,2,...,9 s; each run holds the slot for 2.5 s, so only every third slot runs.
    expect(runs).toBe(4);
  });

  it('ends a run that ignores its abort signal with a timeout result', async () => {
    const results: CheckResult[] = [];
    const s = new Scheduler({
      checks: checks('name: hang, interval: 30s, timeout: 2s'),
      vendors: [],
      probe,
      logger,
      concurrency: 1,
      onResult: (r) => results.push(r),
      run: () => new Promise(() => {}),
      random: () => 0,
      graceMs: 500,
    });
    s.start();
    await vi.advanceTimersByTimeAsync(2600);
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ ok: false, reason: 'timeout', check: 'hang' });
    await s.stop();
  });

  it('aborts a cooperative check at its timeout', async () => {
    const results: CheckResult[] = [];
    const s = new Scheduler({
      checks: checks('name: c, interval: 30s, timeout: 1s'),
      vendors: [],
      probe,
      logger,
      concurrency: 1,
      onResult: (r) => results.push(r),
      run: sleeper(60_000),
      random: () => 0,
    });
    s.start();
    await vi.advanceTimersByTimeAsync(1001);
    expect(results).toEqual([expect.objectContaining({ reason: 'timeout', message: 'aborted' })]);
    await s.stop();
  });

  it('turns a crashing check into an internal failure', async () => {
    const results: CheckResult[] = [];
    const s = new Scheduler({
      checks: checks('name: boom, interval: 30s, timeout: 1s'),
      vendors: [],
      probe,
      logger,
      concurrency: 1,
      onResult: (r) => results.push(r),
      run: async () => {
        throw new Error('bug');
      },
      random: () => 0,
    });
    s.start();
    await vi.advanceTimersByTimeAsync(10);
    expect(results).toEqual([expect.objectContaining({ ok: false, reason: 'internal', message: 'check crashed: bug' })]);
    await s.stop();
  });

  it('holds runs in flight to the concurrency limit', async () => {
    let running = 0;
    let maxRunning = 0;
    const specs = Array.from({ length: 6 }, (_, i) => `name: c${i}, interval: 10s, timeout: 5s`);
    const done: string[] = [];
    const s = new Scheduler({
      checks: checks(...specs),
      vendors: [],
      probe,
      logger,
      concurrency: 2,
      onResult: (r) => done.push(r.check),
      run: (check, ctx) => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        return new Promise((r) => setTimeout(() => (running--, r(newResult(check, ctx.probe))), 1000));
      },
      random: () => 0,
    });
    s.start();
    await vi.advanceTimersByTimeAsync(3500);
    expect(maxRunning).toBe(2);
    expect(done).toHaveLength(6);
    await s.stop();
  });

  it('on stop aborts runs in flight, reports nothing for them and schedules nothing more', async () => {
    const results: CheckResult[] = [];
    const log: string[] = [];
    const s = new Scheduler({
      checks: checks('name: c, interval: 5s, timeout: 4s'),
      vendors: [],
      probe,
      logger,
      concurrency: 1,
      onResult: (r) => results.push(r),
      run: sleeper(3000, log),
      random: () => 0,
    });
    s.start();
    await vi.advanceTimersByTimeAsync(1000);
    await s.stop();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(log).toEqual(['start c @0']);
    expect(results).toEqual([]);
  });

  it('keeps only the checks meant for the probe region', () => {
    const all = checks('name: a', 'name: b, regions: [eu, us]', 'name: c, regions: [ap]');
    expect(checksForRegion(all, 'eu').map((c) => c.name)).toEqual(['a', 'b']);
  });
});
