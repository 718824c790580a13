import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/load.ts';
import { probeDownAfterIn, type ConsensusSettings } from '../../config/effective.ts';
import { checkVerdicts, meetsQuorum, outageIsGlobal, verdict, votesInWindow, type Vote } from '../../agent/collector/consensus.ts';
import { failedPhase } from '../../agent/collector/alerts/alert.ts';
import { disagreements, unhealthyProbes } from '../../agent/collector/probeHealth.ts';
import { regionConditions, stateOf, vendorConditions, type VerdictRow } from '../../agent/collector/state.ts';

const majority: ConsensusSettings = { window: 30_000, min_probes: 2, quorum: undefined, confirm: 5_000 };

function vote(probe: string, ok: boolean, extra: Partial<Vote> = {}): Vote {
  return { probe, region: 'eu', ok, degraded: false, reason: ok ? 'ok' : 'http_status', message: ok ? 'ok' : 'HTTP 503', phases: {}, at: 1000, ...extra };
}

describe('verdict of one (check, region)', () => {
  it('is unknown when fewer than min_probes voted, whatever they say', () => {
    expect(verdict(0, 0, majority, 'passing')).toBe('unknown');
    expect(verdict(1, 1, majority, 'passing')).toBe('unknown');
    expect(verdict(1, 1, { ...majority, min_probes: 1 }, 'passing')).toBe('failing');
  });

  it('fails on a strict majority of failing votes by default', () => {
    expect(verdict(3, 2, majority, 'passing')).toBe('failing');
    expect(verdict(3, 1, majority, 'unknown')).toBe('passing');
    expect(verdict(5, 3, majority, 'passing')).toBe('failing');
  });

  it('holds the previous verdict on a tie (hysteresis), and unknown stays unknown', () => {
    expect(verdict(2, 1, majority, 'passing')).toBe('passing');
    expect(verdict(2, 1, majority, 'failing')).toBe('failing');
    expect(verdict(4, 2, majority, 'failing')).toBe('failing');
    expect(verdict(4, 2, majority, 'unknown')).toBe('unknown');
  });

  it('recovers a failing region only on the same consensus of passing votes', () => {
    const wide = { ...majority, min_probes: 1, quorum: 0.75 };
    // 4 probes: 3 failing fails; 2 of 4 (neither side reaches 75%) holds; 3 passing recovers.
    expect(verdict(4, 3, wide, 'passing')).toBe('failing');
    expect(verdict(4, 2, wide, 'failing')).toBe('failing');
    expect(verdict(4, 2, wide, 'passing')).toBe('passing');
    expect(verdict(4, 1, wide, 'failing')).toBe('passing');
  });

  it('with a configured share, fails at exactly that share (≥), ties going to failing at 0.5', () => {
    const half = { ...majority, quorum: 0.5 };
    expect(verdict(4, 2, half, 'passing')).toBe('failing');
    // min_probes also bounds the failing votes: one of two can never fail a region when m = 2.
    expect(verdict(2, 1, half, 'passing')).toBe('passing');
    expect(verdict(2, 1, half, 'failing')).toBe('failing');
    // 0.3 × 10 is 3.0000000000000004 in floating point; 3 of 10 still meets it.
    expect(meetsQuorum(3, 10, { min_probes: 1, quorum: 0.3 })).toBe(true);
    expect(meetsQuorum(2, 10, { min_probes: 1, quorum: 0.3 })).toBe(false);
  });

  it('needs at least min_probes failing votes even when the share is met', () => {
    expect(meetsQuorum(1, 3, { min_probes: 2, quorum: 0.3 })).toBe(false);
    expect(meetsQuorum(2, 3, { min_probes: 2, quorum: 0.3 })).toBe(true);
  });
});

describe('votes in the window', () => {
  it('keeps each probe’s latest result inside [now − W, now] only', () => {
    const votes = [vote('a', false, { at: 1000 }), vote('a', true, { at: 5000 }), vote('b', false, { at: 100 }), vote('c', true, { at: 9000 })];
    const inWindow = votesInWindow(votes, 8000, 5000);
    expect(inWindow.map((v) => [v.probe, v.ok])).toEqual([['a', true]]);
  });
});

describe('slow verdict', () => {
  it('counts degraded votes, and for performance checks failing votes too', () => {
    const votes = [vote('a', true, { degraded: true }), vote('b', true, { degraded: true }), vote('c', true)];
    expect(checkVerdicts(votes, 'delivery', majority, { outage: 'unknown', slow: 'unknown' }).verdicts).toEqual({ outage: 'passing', slow: 'failing' });
    const perf = [vote('a', false, { reason: 'timeout' }), vote('b', true, { degraded: true }), vote('c', true)];
    expect(checkVerdicts(perf, 'performance', majority, { outage: 'unknown', slow: 'unknown' }).verdicts).toEqual({ outage: 'passing', slow: 'failing' });
    expect(checkVerdicts(perf, 'delivery', majority, { outage: 'unknown', slow: 'unknown' }).verdicts.slow).toBe('passing');
  });
});

describe('thin evidence (fewer than two failing probes)', () => {
  const single: ConsensusSettings = { window: 30_000, min_probes: 1, quorum: undefined, confirm: 5_000 };
  const passing = { outage: 'passing', slow: 'passing' } as const;

  it('holds the previous verdict after one failing run, and fails on a second one confirm later', () => {
    const first = checkVerdicts([vote('a', false, { at: 10_000 })], 'delivery', single, passing);
    expect(first).toEqual({ verdicts: passing, unconfirmed: { outage: 10_000 } });
    // The same run, evaluated again: still waiting.
    expect(checkVerdicts([vote('a', false, { at: 10_000 })], 'delivery', single, passing, first.unconfirmed).verdicts.outage).toBe('passing');
    const second = checkVerdicts([vote('a', false, { at: 15_000 })], 'delivery', single, passing, first.unconfirmed);
    expect(second).toEqual({ verdicts: { outage: 'failing', slow: 'passing' }, unconfirmed: {} });
  });

  it('forgets the wait when a passing run comes between', () => {
    const first = checkVerdicts([vote('a', false, { at: 10_000 })], 'delivery', single, passing);
    const ok = checkVerdicts([vote('a', true, { at: 15_000 })], 'delivery', single, passing, first.unconfirmed);
    expect(ok.unconfirmed).toEqual({});
    expect(checkVerdicts([vote('a', false, { at: 20_000 })], 'delivery', single, passing, ok.unconfirmed).verdicts.outage).toBe('passing');
  });

  it('needs no confirmation with two failing probes, nor to stay failing', () => {
    const two = [vote('a', false, { at: 10_000 }), vote('b', false, { at: 10_000 })];
    expect(checkVerdicts(two, 'delivery', single, passing).verdicts.outage).toBe('failing');
    const failing = { outage: 'failing', slow: 'passing' } as const;
    expect(checkVerdicts([vote('a', false, { at: 10_000 })], 'delivery', single, failing).verdicts.outage).toBe('failing');
  });

  it('confirms slow verdicts the same way', () => {
    const slow = checkVerdicts([vote('a', true, { degraded: true, at: 10_000 })], 'delivery', single, passing);
    expect(slow).toEqual({ verdicts: passing, unconfirmed: { slow: 10_000 } });
  });
});

describe('consensus settings', () => {
  const config = parseConfig(
    `consensus: { min_probes: 3, quorum: 0.6 }
vendors:
  - { name: a, consensus: { window: 1m, quorum: 0.4, global_quorum: 1 } }
  - { name: b }
checks:
  - { name: a1, vendor: a, kind: http, url: "http://x.test/", interval: 10s, consensus: { min_probes: 1, confirm: 20s } }
  - { name: b1, vendor: b, kind: http, url: "http://x.test/", interval: 10s }
`,
    't.yaml',
    {},
  );
  const knobs = (check: string) => {
    const { from: _from, ...settings } = config.effective.checks[check]!;
    return settings;
  };

  it('takes each knob from the narrowest level that sets it', () => {
    expect(knobs('a1')).toEqual({ window: 60_000, min_probes: 1, quorum: 0.4, confirm: 20_000 });
    expect(knobs('b1')).toEqual({ window: 30_000, min_probes: 3, quorum: 0.6, confirm: 5_000 });
  });

  it('says which level each knob came from', () => {
    expect(config.effective.checks.a1!.from).toEqual({ window: 'vendor', min_probes: 'check', quorum: 'vendor', confirm: 'check' });
    expect(config.effective.checks.b1!.from).toEqual({ window: 'default', min_probes: 'top_level', quorum: 'top_level', confirm: 'default' });
  });

  it('resolves the global quorum per vendor', () => {
    expect(config.effective.vendors).toEqual({
      a: { global_quorum: 1, from: 'vendor', warm_up: 11_000 },
      b: { global_quorum: undefined, from: 'default', warm_up: 11_000 },
    });
  });

  it("judges a vendor once its checks' longest interval and a push interval have passed", () => {
    expect(config.effective.warm_up).toBe(11_000);
  });

  it('resolves probe_down_after per named region, and once for any other region', () => {
    const regional = parseConfig(
      `vendors: [{ name: a }]
checks:
  - { name: fast, vendor: a, kind: http, url: "http://x.test/", interval: 20s, timeout: 5s, regions: [eu] }
  - { name: slow, vendor: a, kind: http, url: "http://x.test/", interval: 1m, regions: [eu, us] }
`,
      't.yaml',
      {},
    );
    // eu runs fast (3 × 20 s); us runs only slow (3 × 1 m); any other region runs no check (the 30 s floor).
    expect(regional.effective.probe_down_after).toEqual({ regions: { eu: 60_000, us: 180_000 }, other: 30_000, from: 'default' });
    expect(probeDownAfterIn(regional.effective, 'us')).toBe(180_000);
    expect(probeDownAfterIn(regional.effective, 'ap')).toBe(30_000);
    expect(probeDownAfterIn(regional.effective, 'constructor')).toBe(30_000);
    const configured = parseConfig('collector: { probe_down_after: 2m }\nvendors: [{ name: a }]\n', 't.yaml', {});
    expect(configured.effective.probe_down_after).toEqual({ regions: {}, other: 120_000, from: 'collector' });
  });

  it('refuses global_quorum on a check (it is a vendor-wide rule)', () => {
    expect(() =>
      parseConfig(
        'vendors: [{ name: a }]\nchecks:\n  - { name: c, vendor: a, kind: http, url: "http://x.test/", consensus: { global_quorum: 1 } }\n',
        't.yaml',
        {},
      ),
    ).toThrow(/global_quorum: unknown key/);
  });
});

function row(check: string, role: VerdictRow['role'], region: string, outage: VerdictRow['outage'], slow: VerdictRow['slow'] = 'passing'): VerdictRow {
  return { check, role, region, outage, slow };
}

describe('vendor state', () => {
  it('is hard_down when delivery fails in a majority of the regions with a verdict', () => {
    const rows = [row('js', 'delivery', 'eu', 'failing'), row('js', 'delivery', 'us', 'failing'), row('js', 'delivery', 'ap', 'passing')];
    expect(stateOf(vendorConditions(rows, undefined))).toEqual({ state: 'hard_down', regions: ['eu', 'us'] });
  });

  it('is regional_outage when delivery fails in some regions, naming them', () => {
    const rows = [row('js', 'delivery', 'eu', 'failing'), row('js', 'delivery', 'us', 'passing')];
    expect(stateOf(vendorConditions(rows, undefined))).toEqual({ state: 'regional_outage', regions: ['eu'] });
    // With global_quorum 0.5, one of two regions is enough for hard_down.
    expect(stateOf(vendorConditions(rows, 0.5)).state).toBe('hard_down');
  });

  it('ignores regions without a verdict when weighing the outage', () => {
    const rows = [row('js', 'delivery', 'eu', 'failing'), row('js', 'delivery', 'us', 'unknown')];
    expect(stateOf(vendorConditions(rows, undefined))).toEqual({ state: 'hard_down', regions: ['eu'] });
  });

  it('reports every condition that holds, the most severe as the state', () => {
    const rows = [
      row('js', 'delivery', 'eu', 'passing', 'failing'),
      row('js', 'delivery', 'us', 'passing'),
      row('cfg', 'control', 'eu', 'failing'),
      row('logs', 'telemetry', 'us', 'failing'),
    ];
    const conditions = vendorConditions(rows, undefined);
    expect(conditions).toEqual([
      { state: 'degraded', regions: ['eu'] },
      { state: 'api_down', regions: ['eu'] },
      { state: 'limited_visibility', regions: ['us'] },
    ]);
    expect(stateOf(conditions).state).toBe('degraded');
  });

  it('is degraded where a performance check fails, not where delivery is already down', () => {
    const rows = [
      row('perf', 'performance', 'eu', 'failing', 'failing'),
      row('js', 'delivery', 'eu', 'passing'),
      row('js', 'delivery', 'us', 'failing'),
      row('perf', 'performance', 'us', 'passing', 'failing'),
    ];
    expect(vendorConditions(rows, 1)).toEqual([
      { state: 'regional_outage', regions: ['us'] },
      { state: 'degraded', regions: ['eu'] },
    ]);
  });

  it('is unknown when no delivery check has a verdict, operational when all is well', () => {
    expect(vendorConditions([row('js', 'delivery', 'eu', 'unknown'), row('cfg', 'control', 'eu', 'passing')], undefined)).toEqual([
      { state: 'unknown', regions: [] },
    ]);
    expect(vendorConditions([], undefined)).toEqual([{ state: 'unknown', regions: [] }]);
    expect(vendorConditions([row('js', 'delivery', 'eu', 'passing'), row('js', 'delivery', 'us', 'unknown')], undefined)).toEqual([
      { state: 'operational', regions: ['eu'] },
    ]);
    // A vendor watched only through its API: its control check decides.
    expect(vendorConditions([row('cfg', 'control', 'eu', 'passing')], undefined)).toEqual([{ state: 'operational', regions: ['eu'] }]);
  });

  it('judges each region on its own', () => {
    const rows = [row('js', 'delivery', 'eu', 'failing'), row('js', 'delivery', 'us', 'passing'), row('js', 'delivery', 'ap', 'unknown')];
    const regions = regionConditions(rows, undefined);
    expect(Object.fromEntries([...regions].map(([r, c]) => [r, stateOf(c).state]))).toEqual({ ap: 'unknown', eu: 'hard_down', us: 'operational' });
  });

  it('outageIsGlobal follows the global quorum exactly', () => {
    expect(outageIsGlobal(0, 0, undefined)).toBe(false);
    expect(outageIsGlobal(1, 1, undefined)).toBe(true);
    expect(outageIsGlobal(1, 2, undefined)).toBe(false);
    expect(outageIsGlobal(2, 3, undefined)).toBe(true);
    expect(outageIsGlobal(2, 3, 1)).toBe(false);
    expect(outageIsGlobal(3, 3, 1)).toBe(true);
  });
});

describe('probe health', () => {
  const checks = (entries: [string, string, [string, boolean][]][]) =>
    new Map(entries.map(([check, vendor, votes]) => [check, { vendor, votes: votes.map(([probe, ok]) => ({ probe, ok })) }]));

  it('finds the probe that alone fails checks of several vendors', () => {
    const found = disagreements(
      checks([
        [
          'a-js',
          'a',
          [
            ['bad', false],
            ['p2', true],
            ['p3', true],
          ],
        ],
        [
          'b-api',
          'b',
          [
            ['bad', false],
            ['p2', true],
          ],
        ],
        [
          'c-js',
          'c',
          [
            ['bad', false],
            ['p2', false],
            ['p3', true],
          ],
        ],
      ]),
    );
    expect([...found.keys()]).toEqual(['bad']);
    expect([...found.get('bad')!.vendors].sort()).toEqual(['a', 'b']);
    expect(unhealthyProbes(found, new Set(), 2)).toEqual(new Set(['bad']));
    expect(unhealthyProbes(found, new Set(), 3)).toEqual(new Set());
  });

  it('does not blame a probe that fails with its peers, or one with no peers', () => {
    const found = disagreements(
      checks([
        [
          'a-js',
          'a',
          [
            ['p1', false],
            ['p2', false],
            ['p3', true],
          ],
        ],
        ['b-api', 'b', [['p1', false]]],
      ]),
    );
    expect(found.size).toBe(0);
  });

  it('keeps a probe unhealthy while it still disagrees on anything, and frees it when it agrees again', () => {
    const one = disagreements(
      checks([
        [
          'a-js',
          'a',
          [
            ['bad', false],
            ['p2', true],
          ],
        ],
      ]),
    );
    expect(unhealthyProbes(one, new Set(['bad']), 2)).toEqual(new Set(['bad']));
    expect(unhealthyProbes(one, new Set(), 2)).toEqual(new Set());
    expect(unhealthyProbes(new Map(), new Set(['bad']), 2)).toEqual(new Set());
  });
});

describe('the phase a failed run stopped in', () => {
  const at = (reason: Vote['reason'], phases: Vote['phases'], message = '') => failedPhase({ reason, phases, message });

  it('follows the phases the run completed', () => {
    expect(at('timeout', { total: 1 })).toBe('ttfb');
    expect(at('timeout', { connect: 0.02, total: 1 }, 'timed out after 1 s waiting for response headers')).toBe('ttfb');
    expect(at('timeout', { connect: 0.02, total: 1 }, 'TLS handshake timed out')).toBe('tls');
    expect(at('timeout', { dns: 0.01, connect: 0.02, tls: 0.05, total: 1 })).toBe('ttfb');
    expect(at('reset', { connect: 0.02, ttfb: 0.1, total: 0.2 })).toBe('transfer');
    expect(at('connect', { total: 0.01 })).toBe('connect');
    expect(at('http_status', { ttfb: 0.1, total: 0.1 })).toBe('response');
  });
});
