import { describe, expect, it } from 'vitest';
import type { CheckResult, Reason } from '../../config/result.ts';
import { CheckOutcomeLog } from '../../agent/probe/outcomeLog.ts';
import { recordingLogger } from '../support/logs.ts';

function result(check: string, reason: Reason): CheckResult {
  const ok = reason === 'ok';
  return {
    id: `${check}-${Math.random()}`,
    check,
    vendor: 'acme',
    kind: 'http',
    role: 'delivery',
    probe: 'p1',
    region: 'eu',
    startedAt: 1_000_000,
    ok,
    degraded: false,
    reason,
    message: ok ? 'ok' : 'it failed',
    phases: { total: 0.25 },
    assertions: [],
    details: {},
  };
}

describe('the probe log of check outcomes', () => {
  it("logs each check's first result, then only its changes", () => {
    const { lines, logger } = recordingLogger();
    const log = new CheckOutcomeLog(logger, 2);
    for (const r of [result('a', 'ok'), result('b', 'http_status'), result('a', 'ok'), result('a', 'timeout'), result('a', 'timeout'), result('a', 'ok')])
      log.note(r);
    expect(lines.map((l) => `${l.msg} ${l.check}`)).toEqual([
      'check passed its first run a',
      'check failed its first run b',
      'check started failing a',
      'check recovered a',
    ]);
    expect(lines[1]).toMatchObject({ level: 30, ok: false, reason: 'http_status', totalMs: 250, message: 'it failed' });
  });

  it('says "no network?" once when every first result failed DNS resolution', () => {
    const { lines, logger } = recordingLogger();
    const log = new CheckOutcomeLog(logger, 2);
    for (const r of [result('a', 'dns'), result('b', 'dns'), result('a', 'dns'), result('b', 'dns')]) log.note(r);
    expect(lines.filter((l) => l.msg.includes('no network?'))).toHaveLength(1);
  });

  it('does not when some check got past DNS', () => {
    const { lines, logger } = recordingLogger();
    const log = new CheckOutcomeLog(logger, 2);
    for (const r of [result('a', 'dns'), result('b', 'connect')]) log.note(r);
    expect(lines.some((l) => l.msg.includes('no network?'))).toBe(false);
  });
});
