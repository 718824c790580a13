/**
 * Incident notes on a collector with a fake clock: added, refused, journaled and replayed after
 * a restart; and the vendor registry's support fields in the incident's alert.
 */
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/load.ts';
import { Collector } from '../../agent/collector/collector.ts';
import { MAX_FOLLOW_UPS, noteInputSchema } from '../../agent/collector/incidentNotes.ts';
import { Journal } from '../../agent/collector/journal.ts';
import { renderReport } from '../../agent/report/render.ts';
import { reportPeriod, slaReport } from '../../agent/report/sla.ts';
import { tempDir } from '../support/processes.ts';
import { FOUR_PROBES } from '../support/probes.ts';
import { httpRun } from '../support/results.ts';

const logger = pino({ level: 'silent' });
const config = parseConfig(
  `consensus: { min_probes: 2 }
vendors:
  - name: acme
    support_url: https://support.acme.example/tickets/new
    contacts: [{ name: Acme NOC, channel: "+1 555 0100" }, { name: TAM Jo, channel: jo@acme.example }]
    escalation: [open a P1 ticket, after 30m call the NOC]
    contract: MSA-2024-117
checks:
  - { name: acme-js, vendor: acme, kind: http, url: "http://acme.test/", interval: 5s, timeout: 1s }
`,
  't.yaml',
  {},
);

function collectorAt(journalPath: string, clock: { now: number }) {
  return new Collector({ config, logger, journal: new Journal(journalPath, logger), receivers: [], now: () => clock.now });
}

/** One run of acme-js from every probe, then an evaluation. */
function round(collector: Collector, clock: { now: number }, ok: boolean) {
  clock.now += 5000;
  for (const [probe, region] of FOUR_PROBES) {
    const result = httpRun({ check: 'acme-js', vendor: 'acme', probe, region, ok, startedAt: clock.now - 100 });
    collector.record(result, clock.now);
  }
  collector.evaluate(clock.now);
}

describe('incident notes', () => {
  it('adds notes, owner, root cause, ticket and follow-ups, journals them, and replays them after a restart', () => {
    const journalPath = join(tempDir(), 'journal.jsonl');
    const clock = { now: 1_000_000 };
    const first = collectorAt(journalPath, clock);
    round(first, clock, true);
    round(first, clock, true);
    round(first, clock, true);
    round(first, clock, false);
    const [incident] = first.incidents();
    expect(incident).toMatchObject({ vendor: 'acme', end: null });

    const id = incident!.id;
    expect(first.addNote(id, { text: 'acme confirms a bad config push in eu', author: 'sam' })).toHaveProperty('incident');
    first.addNote(id, { owner: 'sam', ticket: 'ACME-4411' });
    first.addNote(id, { follow_up: 'ask acme for an RFO' });
    round(first, clock, true); // the incident closes: its journaled record carries the postmortem
    first.addNote(id, { root_cause: 'config push to the eu POPs', follow_up: 'alert on acme config changes' });
    expect(first.addNote('no-such-id', { text: 'x' })).toMatchObject({ refused: 'not_found' });

    const restarted = collectorAt(journalPath, clock);
    const after = restarted.incidents().find((i) => i.id === id)!;
    expect(after.end).not.toBeNull();
    expect(after.postmortem).toEqual({
      notes: [{ at: expect.any(Number), text: 'acme confirms a bad config push in eu', author: 'sam' }],
      owner: 'sam',
      rootCause: 'config push to the eu POPs',
      ticket: 'ACME-4411',
      followUps: [
        { at: expect.any(Number), text: 'ask acme for an RFO' },
        { at: expect.any(Number), text: 'alert on acme config changes' },
      ],
    });
  });

  it("the SLA report lists each incident's postmortem and the vendor's support fields", () => {
    const journalPath = join(tempDir(), 'journal.jsonl');
    const clock = { now: Date.UTC(2026, 10, 2) };
    const collector = collectorAt(journalPath, clock);
    for (let i = 0; i < 3; i++) round(collector, clock, true);
    round(collector, clock, false);
    const id = collector.incidents()[0]!.id;
    collector.addNote(id, { text: 'acme confirms', author: 'sam', owner: 'sam', ticket: 'ACME-4411', root_cause: 'bad config push' });
    collector.addNote(id, { follow_up: 'ask for an RFO' });
    round(collector, clock, true);

    const events = new Journal(journalPath, logger).read();
    const report = slaReport(config, events, [], reportPeriod({ month: '2026-11' }, clock.now), clock.now, config.vendors);
    const md = renderReport(report, 'md', journalPath);
    expect(md).toContain('- Support: https://support.acme.example/tickets/new');
    expect(md).toContain('- Escalation: 1. open a P1 ticket 2. after 30m call the NOC');
    expect(md).toContain(`#### Postmortem of incident ${id}`);
    expect(md).toMatch(
      /- Owner: sam\n- Vendor ticket: ACME-4411\n- Root cause: bad config push\n- Note, 2026-11-02 \d\d:\d\d:\d\d UTC \(sam\): acme confirms\n- Follow-up: ask for an RFO/,
    );
    const json = JSON.parse(renderReport(report, 'json', journalPath)) as { vendors: { incidents: { postmortem: { ticket: string } }[] }[] };
    expect(json.vendors[0]!.incidents[0]!.postmortem.ticket).toBe('ACME-4411');
    expect(renderReport(report, 'csv', journalPath)).toContain('sam,ACME-4411,bad config push,acme confirms,ask for an RFO');
  });

  it('refuses empty or oversized notes, and follow-ups beyond what an incident holds', () => {
    expect(noteInputSchema.safeParse({}).success).toBe(false);
    expect(noteInputSchema.safeParse({ text: '   ' }).success).toBe(false);
    expect(noteInputSchema.safeParse({ text: 'x'.repeat(2001) }).success).toBe(false);
    expect(noteInputSchema.safeParse({ author: 'sam' }).success).toBe(false);
    expect(noteInputSchema.safeParse({ text: 'ok', extra: 1 }).success).toBe(false);

    const clock = { now: 1_000_000 };
    const collector = collectorAt(join(tempDir(), 'journal.jsonl'), clock);
    for (let i = 0; i < 3; i++) round(collector, clock, true);
    round(collector, clock, false);
    const id = collector.incidents()[0]!.id;
    for (let i = 0; i < MAX_FOLLOW_UPS; i++) expect(collector.addNote(id, { follow_up: `step ${i}` })).toHaveProperty('incident');
    expect(collector.addNote(id, { follow_up: 'one too many' })).toMatchObject({ refused: 'full' });
    expect(collector.addNote(id, { text: 'notes still fit' })).toHaveProperty('incident');
  });

  it("puts the vendor's support URL, escalation, contacts and contract in its alert", () => {
    const clock = { now: 1_000_000 };
    const collector = collectorAt(join(tempDir(), 'journal.jsonl'), clock);
    for (let i = 0; i < 3; i++) round(collector, clock, true);
    round(collector, clock, false);
    const [alert] = collector.activeAlerts();
    expect(alert!.annotations).toMatchObject({
      support_url: 'https://support.acme.example/tickets/new',
      escalation: '1. open a P1 ticket 2. after 30m call the NOC',
      contacts: 'Acme NOC: +1 555 0100; TAM Jo: jo@acme.example',
      contract: 'MSA-2024-117',
    });
    expect(alert!.annotations.description).toContain('Vendor support: https://support.acme.example/tickets/new');
  });
});
