/**
 * Periodic updates on a long incident (collector.incident_updates), counted as a person
 * receives them: on a fake clock, every notification the webhook-like receiver gets, and what
 * an Alertmanager-like receiver (one that keeps alerts) gets instead.
 */
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/load.ts';
import type { Alert } from '../../agent/collector/alerts/alert.ts';
import type { Receiver } from '../../agent/collector/alerts/receiver.ts';
import { Collector } from '../../agent/collector/collector.ts';
import { slackReceiver } from '../../agent/collector/alerts/slack.ts';
import { Journal } from '../../agent/collector/journal.ts';
import { startSink } from '../support/alertmanager.ts';
import { tempDir } from '../support/processes.ts';
import { FOUR_PROBES } from '../support/probes.ts';
import { httpRun } from '../support/results.ts';

const logger = pino({ level: 'silent' });

function recorder(resends: boolean): Receiver & { sent: Alert[][] } {
  const sent: Alert[][] = [];
  return { name: resends ? 'alertmanager' : 'webhook', resends, sent, send: async (alerts) => void sent.push([...alerts]) };
}

/** A collector on a fake clock watching one CDN checked every 5s, with updates every `every`. */
function harness(every: string) {
  const config = parseConfig(
    `consensus: { min_probes: 2 }
collector: { incident_updates: { every: ${every} } }
vendors: [{ name: acme, kind: cdn }]
checks:
  - { name: acme-js, vendor: acme, kind: http, url: "http://acme.test/", interval: 5s, timeout: 1s }
`,
    't.yaml',
    {},
  );
  const clock = { now: 1_000_000 };
  const people = recorder(false);
  const alertmanager = recorder(true);
  const collector = new Collector({
    config,
    logger,
    journal: new Journal(join(tempDir(), 'journal.jsonl'), logger),
    receivers: [people, alertmanager],
    now: () => clock.now,
  });
  /** One 5s round: each probe's run of acme-js fails where `failing(region)` says so. */
  const round = (failing: (region: string) => boolean) => {
    clock.now += 5000;
    for (const [probe, region] of FOUR_PROBES) {
      const ok = !failing(region);
      collector.record(httpRun({ check: 'acme-js', vendor: 'acme', probe, region, ok, startedAt: clock.now - 100 }), clock.now);
    }
    collector.evaluate(clock.now);
  };
  const rounds = (n: number, failing: (region: string) => boolean) => {
    for (let i = 0; i < n; i++) round(failing);
  };
  return { collector, people, alertmanager, rounds };
}

const flush = () => new Promise((r) => setImmediate(r));
const kind = (a: Alert) => (a.endsAt !== undefined ? 'resolved' : a.annotations.update_number ? `update ${a.annotations.update_number}` : 'firing');

describe('periodic updates on an open incident', () => {
  it('an outage lasting 3½ update intervals: 5 notifications (firing, 3 updates, resolved), one alert identity', async () => {
    const h = harness('1m');
    h.rounds(3, () => false);
    // Regional outage in eu for a minute and a half, then us fails too: 3½ minutes in all.
    h.rounds(18, (r) => r === 'eu');
    h.rounds(24, () => true);
    h.rounds(2, () => false);
    await flush();

    const notifications = h.people.sent.flat();
    expect(notifications.map(kind)).toEqual(['firing', 'update 1', 'update 2', 'update 3', 'resolved']);
    expect(new Set(notifications.map((a) => JSON.stringify(a.labels)))).toEqual(
      new Set([JSON.stringify({ alertname: 'VendorOutage', vendor: 'acme', severity: 'page' })]),
    );
    const [, first, second, third] = notifications;
    expect(first!.annotations.update).toMatch(
      /^Update 1 on acme \(incident open 1m \d+s\): regional outage in eu, 2 of 2 probes in eu failing; since the last update 1m 0s ago: no change; real users: no beacon data\.$/,
    );
    expect(second!.annotations.update).toContain(
      'since the last update 1m 0s ago: regional outage → hard down; now also failing in us; votes were 2 of 2 probes in eu',
    );
    expect(third!.annotations.update).toContain(
      'hard down in eu, us, 2 of 2 probes in eu, 2 of 2 probes in us failing; since the last update 1m 0s ago: no change',
    );

    // Alertmanager is never pushed an update of its own: it gets it in the annotations it is re-sent.
    const amFiring = h.alertmanager.sent.flat().filter((a) => a.endsAt === undefined);
    expect(h.alertmanager.sent.flat().filter((a) => a.endsAt !== undefined)).toHaveLength(1);
    expect([...new Set(amFiring.map((a) => a.annotations.update_number).filter(Boolean))]).toEqual(['1', '2']);
  });

  it('Slack leads with the update, in bold', async () => {
    const h = harness('1m');
    h.rounds(3, () => false);
    h.rounds(14, () => true);
    await flush();
    const update = h.people.sent.flat().find((a) => a.annotations.update_number === '1')!;
    const sink = await startSink();
    try {
      await slackReceiver(`${sink.url}/slack`).send([update], Date.now(), new AbortController().signal);
      const [{ text }] = sink.bodies('/slack') as { text: string }[];
      expect(text!.split('\n').slice(0, 2)).toEqual([':red_circle: *PAGE* VendorOutage — *acme*', `*${update.annotations.update}*`]);
    } finally {
      await sink.close();
    }
  });

  it('with incident_updates.every: off, the same outage is 2 notifications', async () => {
    const h = harness('off');
    h.rounds(3, () => false);
    h.rounds(42, () => true);
    h.rounds(2, () => false);
    await flush();
    expect(h.people.sent.flat().map(kind)).toEqual(['firing', 'resolved']);
  });
});
