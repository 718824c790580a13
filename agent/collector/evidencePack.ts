/**
 * The evidence pack: one incident as a vendor's support desk needs it, in one paste. What
 * failed, since when, from where (regions, edge addresses, POPs, NSIDs), how (phases, status
 * codes, error text), how often (votes and failing runs), what the vendor's own status page
 * said meanwhile, and what real users saw. `GET /v1/incidents/ID/evidence` answers it as JSON
 * or Markdown (`?format=md`), and `vendorwatch evidence ID` prints it.
 *
 * Only what was measured and stored: the incident record, the journal's state changes and
 * verdicts over its time, its failing runs (incidentRuns.ts) and what the vendor said. Nothing
 * internal: probes are named by region and number ("eu-west probe 2"), runs are sanitized when
 * kept (runEvidence.ts), and people's notes, owner and root cause stay out (only the vendor's
 * own ticket reference goes in).
 */
import { z } from 'zod';
import type { Check, Vendor } from '../../config/schema.ts';
import { humanDuration, utc } from '../timeText.ts';
import { realUsersSummary } from './alerts/alert.ts';
import { incidentRealUsersSchema, incidentSchema, type Incident } from './incidents.ts';
import type { IncidentRunsView } from './incidentRuns.ts';
import type { JournalEvent } from './journal.ts';
import { checkHosts, failedRunSchema, safeUrl } from './runEvidence.ts';

export const evidencePackSchema = z.object({
  generatedAt: z.number(),
  incident: incidentSchema.pick({ id: true, start: true, end: true, worst: true, states: true, regions: true }).extend({
    /** Regions where its delivery checks passed at its worst moment: where it still worked. */
    regionsFine: z.array(z.string()),
    /** The vendor's ticket for it, when someone noted one. */
    vendorTicket: z.string().nullable(),
  }),
  vendor: z.object({
    name: z.string(),
    kind: z.string(),
    contract: z.string().nullable(),
    supportUrl: z.string().nullable(),
    sla: z.object({ availability: z.number(), latency_p95_ms: z.number().optional() }).nullable(),
  }),
  /** What each check targets: its URL without query, or its DNS query and nameservers. */
  checks: z.array(z.object({ check: z.string(), kind: z.string(), target: z.string() })),
  /** State changes of the vendor and verdict changes of its checks, in time order. */
  timeline: z.array(z.object({ at: z.number(), what: z.string() })),
  /** Votes at the incident's worst moment, per (check, region). */
  votes: z.array(z.object({ check: z.string(), region: z.string(), voters: z.number(), failing: z.number(), slow: z.number() })),
  /** Failing runs per (check, region, probe): how many, and the first and last kept. */
  runs: z.array(
    z.object({
      check: z.string(),
      region: z.string(),
      probe: z.string(),
      /** Null when not known (the collector restarted while the incident was open). */
      failingRuns: z.number().nullable(),
      kept: z.array(failedRunSchema.omit({ id: true, check: true, region: true, probe: true })),
    }),
  ),
  /** What the vendor's status page said while the incident was open; null when it has none configured. */
  vendorSaid: z
    .array(z.object({ at: z.number(), indicator: z.string().optional(), description: z.string().optional(), unreachable: z.string().optional() }))
    .nullable(),
  realUsers: incidentRealUsersSchema.nullable(),
});
export type EvidencePack = z.infer<typeof evidencePackSchema>;

interface PackSources {
  incident: Incident;
  vendor: Vendor;
  checks: readonly Check[];
  /** Journal events (any range: those outside the incident are ignored). */
  events: readonly JournalEvent[];
  kept: IncidentRunsView;
  now: number;
}

const keyOf = (check: string, region: string, probe: string) => `${check}\u0000${region}\u0000${probe}`;

/** "eu-west probe 1", "eu-west probe 2": probe ids are internal names (often host names). */
function probeNames(probes: Iterable<[string, string]>): Map<string, string> {
  const byRegion = new Map<string, Set<string>>();
  for (const [probe, region] of probes) byRegion.set(region, (byRegion.get(region) ?? new Set()).add(probe));
  const names = new Map<string, string>();
  for (const [region, ids] of byRegion) [...ids].sort().forEach((id, i) => names.set(`${region}\u0000${id}`, `${region} probe ${i + 1}`));
  return names;
}

function targetOf(check: Check): string {
  if (check.kind === 'dns') {
    const servers = Array.isArray(check.nameservers) ? checkHosts(check).join(', ') : "the zone's nameservers";
    return `${check.query.name} ${check.query.type} at ${servers}`;
  }
  return 'url' in check && typeof check.url === 'string' ? safeUrl(check.url, checkHosts(check)) : check.name;
}

export function evidencePack({ incident, vendor, checks, events, kept, now }: PackSources): EvidencePack {
  const end = incident.end ?? now;
  const mine = new Set(checks.map((c) => c.name));
  const within = events.filter((e) => e.at >= incident.start && e.at <= end);
  const names = probeNames([
    ...kept.runs.map((r): [string, string] => [r.probe, r.region]),
    ...incident.evidence.flatMap((e) => e.votes.map((v): [string, string] => [v.probe, v.region])),
  ]);
  const probeName = (probe: string, region: string) => names.get(`${region}\u0000${probe}`) ?? `${region} probe`;

  const timeline: EvidencePack['timeline'] = [{ at: incident.start, what: `incident opened: ${vendor.name} ${incident.states[0] ?? incident.worst}` }];
  let lastState = '';
  for (const e of within) {
    if (e.type === 'vendor' && e.vendor === vendor.name) {
      const text = e.status.conditions.map((c) => `${c.state}${c.regions.length ? ` in ${c.regions.join(', ')}` : ''}`).join('; ');
      if (text !== lastState) timeline.push({ at: e.at, what: `${vendor.name}: ${text}` });
      lastState = text;
    } else if (e.type === 'verdict' && mine.has(e.check)) {
      const verdict = e.outage === 'failing' ? 'failing' : e.slow === 'failing' ? 'slow' : e.outage;
      timeline.push({ at: e.at, what: `${e.check} in ${e.region}: ${verdict}` });
    }
  }
  if (incident.end !== null)
    timeline.push({ at: incident.end, what: `incident closed: ${vendor.name} operational again after ${humanDuration(incident.end - incident.start)}` });

  const groups = new Map<string, EvidencePack['runs'][number]>();
  for (const r of kept.runs) {
    const key = keyOf(r.check, r.region, r.probe);
    const group = groups.get(key) ?? { check: r.check, region: r.region, probe: probeName(r.probe, r.region), failingRuns: kept.counts[key] ?? null, kept: [] };
    const { id: _id, check: _c, region: _r, probe: _p, ...run } = r;
    group.kept.push(run);
    groups.set(key, group);
  }

  return {
    generatedAt: now,
    incident: {
      id: incident.id,
      start: incident.start,
      end: incident.end,
      worst: incident.worst,
      states: incident.states,
      regions: incident.regions,
      regionsFine: [
        ...new Set(
          incident.evidence.filter((e) => e.role === 'delivery' && e.outage === 'passing' && !incident.regions.includes(e.region)).map((e) => e.region),
        ),
      ].sort(),
      vendorTicket: incident.postmortem?.ticket ?? null,
    },
    vendor: { name: vendor.name, kind: vendor.kind, contract: vendor.contract ?? null, supportUrl: vendor.support_url ?? null, sla: vendor.sla ?? null },
    checks: checks.map((c) => ({ check: c.name, kind: c.kind, target: targetOf(c) })),
    timeline: timeline.sort((a, b) => a.at - b.at),
    votes: incident.evidence
      .filter((e) => e.outage === 'failing' || e.slow === 'failing')
      .map((e) => ({ check: e.check, region: e.region, voters: e.voters, failing: e.failing, slow: e.slowVotes })),
    runs: [...groups.values()].sort((a, b) => `${a.check} ${a.region} ${a.probe}`.localeCompare(`${b.check} ${b.region} ${b.probe}`)),
    vendorSaid: vendor.status_page ? kept.said : null,
    realUsers: incident.realUsers ?? null,
  };
}

// --- Markdown ---

const time = (ms: number) => utc(ms).slice(0, 19);
const cell = (s: string | number | undefined) => (s === undefined ? '–' : String(s).replaceAll('|', '\\|').replaceAll('\n', ' '));

function runLine(r: EvidencePack['runs'][number]['kept'][number]): string {
  const edge = r.nameservers?.length
    ? r.nameservers.map((n) => `${n.nameserver}${n.address ? ` ${n.address}` : ''}${n.nsid ? ` NSID ${n.nsid}` : ''}${n.rcode ? ` ${n.rcode}` : ''}`).join('; ')
    : [r.address, r.pop ? `POP ${r.pop}` : undefined, r.cache ? `cache ${r.cache}` : undefined].filter(Boolean).join(', ');
  const phases = Object.entries(r.phases)
    .map(([p, s]) => `${p} ${Math.round(s * 1000)}ms`)
    .join(', ');
  return `| ${time(r.at)} | ${r.phase} (${r.reason}) | ${cell(r.status)} | ${cell(edge || undefined)} | ${cell(phases || undefined)} | ${cell(r.message)} |`;
}

/** The pack as Markdown, to paste into the vendor's ticket. */
export function evidenceMarkdown(p: EvidencePack): string {
  const { incident: i, vendor: v } = p;
  const open = i.end === null;
  const lasted = humanDuration((i.end ?? p.generatedAt) - i.start);
  const failing = p.runs.reduce((n, r) => n + (r.failingRuns ?? r.kept.length), 0);
  const kept = p.runs.flatMap((r) => r.kept);
  const sample = kept.find((r) => !r.ok);
  const edges = [
    ...new Set(
      kept.flatMap((r) =>
        r.nameservers?.length
          ? r.nameservers.map((n) => `${n.nameserver}${n.address ? ` (${n.address})` : ''}${n.nsid ? ` NSID ${n.nsid}` : ''}`)
          : [[r.address, r.pop ? `POP ${r.pop}` : undefined].filter(Boolean).join(' ')],
      ),
    ),
  ].filter(Boolean);
  const out = [
    `# ${v.name}: ${i.worst.replaceAll('_', ' ')} in ${i.regions.join(', ') || 'no region'} (incident ${i.id})`,
    '',
    'Measured by our synthetic probes (vendorwatch); times are UTC. Probes are named by region and number.',
    '',
    `- **What failed**: ${p.checks.map((c) => `\`${c.check}\` (${c.kind} ${c.target})`).join(', ')}`,
    `- **Since**: ${utc(i.start)}${open ? `, still failing at ${utc(p.generatedAt)} (${lasted} so far)` : ` until ${utc(i.end!)} (${lasted})`}`,
    `- **Where**: fails in ${i.regions.join(', ')}${i.regionsFine.length ? `; works in ${i.regionsFine.join(', ')}` : ''}; states: ${i.states.join(' → ')}`,
    `- **Edges seen failing**: ${edges.join(', ') || 'none recorded'}`,
    `- **How**: ${sample ? `${sample.phase} (${sample.reason})${sample.status ? `, HTTP ${sample.status}` : ''}: "${sample.message}"` : 'slow runs only'}`,
    `- **How often**: ${failing} failing run(s) on record; at the worst moment ${p.votes.map((x) => `${x.failing || x.slow} of ${x.voters} probes in ${x.region} (${x.check})`).join(', ') || 'no votes on record'}`,
    `- **Real users**: ${p.realUsers ? realUsersSummary(p.realUsers) : 'no beacon data'}`,
    ...(v.contract ? [`- **Contract**: ${v.contract}`] : []),
    ...(i.vendorTicket ? [`- **Your ticket**: ${i.vendorTicket}`] : []),
    '',
    '## Timeline',
    '',
    '| time (UTC) | what |',
    '| --- | --- |',
    ...p.timeline.map((t) => `| ${time(t.at)} | ${cell(t.what)} |`),
    '',
    '## Failing runs',
    '',
    'Per check, region and probe: how many runs failed, and the first and last kept (at most 5 each).',
  ];
  for (const r of p.runs) {
    out.push(
      '',
      `### ${r.check} in ${r.region}, ${r.probe}: ${r.failingRuns ?? 'at least ' + r.kept.length} failing run(s)`,
      '',
      '| started (UTC) | where it failed | status | edge / nameserver | phases | message |',
      '| --- | --- | --- | --- | --- | --- |',
      ...r.kept.map(runLine),
    );
  }
  if (!p.runs.length) out.push('', 'No failing runs were kept for this incident.');
  out.push('', `## What ${v.name}'s status page said`, '');
  if (p.vendorSaid === null) out.push('No status page of theirs is configured.');
  else if (!p.vendorSaid.length) out.push('Nothing was fetched from it while the incident was open.');
  else
    out.push(
      '| time (UTC) | said |',
      '| --- | --- |',
      ...p.vendorSaid.map(
        (s) => `| ${time(s.at)} | ${cell(s.unreachable ? `unreachable: ${s.unreachable}` : `"${s.description}" (indicator ${s.indicator})`)} |`,
      ),
    );
  return `${out.join('\n')}\n`;
}
