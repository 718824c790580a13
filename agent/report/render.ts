/**
 * The SLA report as Markdown (to read and attach), JSON (for scripts) or CSV (for spreadsheets).
 * All three carry the same numbers and say how they were measured. JSON and CSV use base units:
 * seconds, percent as a number, times as ISO 8601 UTC.
 */
import { LATENCY_SLA_BUDGET } from '../../config/schema.ts';
import { humanDuration, utc } from '../timeText.ts';
import { RUM_CSV_COLUMNS, RUM_DEFINITION, rumCsvIncident, rumCsvVendor, rumJson, rumSummaryMarkdown, rumVendorMarkdown } from './renderRum.ts';
import type { Postmortem } from '../collector/incidentNotes.ts';
import type { ReportFormat } from './formats.ts';
import type { IncidentReport, SlaReport, VendorReport } from './sla.ts';

/** How the numbers are measured; printed in every format. */
const DEFINITIONS = {
  availability:
    'Availability = 1 − downtime ÷ measured time, from the vendor states the collector journaled. Downtime is time in hard_down or regional_outage, ' +
    'weighted by the share of regions down (down regions ÷ regions where a delivery check had a verdict). degraded, api_down and limited_visibility count as available.',
  unknown:
    'Time in state unknown (too few probes voting), and time before the vendor’s first journaled state, is not measured: it counts neither for nor against the vendor.',
  collectorDowntime: 'Time the collector was stopped counts in the state it last journaled.',
  latency: `Latency: successful delivery check runs, in the UTC hours starting inside the period. p95 is estimated from histogram buckets; the share of runs slower than the SLA's p95 is exact. The latency objective is met when at most ${LATENCY_SLA_BUDGET * 100}% of runs are slower.`,
  budget: `Error budget: (100 − SLA)% of the measured time may be downtime; ${LATENCY_SLA_BUDGET * 100}% of runs may be slower than the SLA's p95. Left is what remains; negative once breached.`,
  incidents:
    'Incidents overlapping the period are listed with their downtime inside it; when availability is breached, every incident with downtime is marked breaching.',
  realUsers: RUM_DEFINITION,
};

export function renderReport(report: SlaReport, format: ReportFormat, source: string): string {
  if (format === 'json') return `${JSON.stringify(reportJson(report, source), null, 2)}\n`;
  if (format === 'csv') return reportCsv(report);
  return reportMarkdown(report, source);
}

// --- numbers as people read them ---

const round = (n: number, digits: number) => Number(n.toFixed(digits));
const iso = (ms: number) => new Date(ms).toISOString();
const seconds = (ms: number) => round(ms / 1000, 3);
const pct = (n: number | undefined, digits = 3) => (n === undefined ? '–' : `${n.toFixed(digits)}%`);

function verdict(v: VendorReport): string {
  const breaches = [v.availability.met === false && 'availability', v.latency.met === false && 'latency'].filter(Boolean);
  if (breaches.length) return `BREACHED (${breaches.join(', ')})`;
  if (v.availability.met === undefined && v.latency.met === undefined) return v.sla ? 'no data' : 'no SLA';
  return 'met';
}

function slaText(v: VendorReport): string {
  if (!v.sla) return '–';
  return `${v.sla.availability}%${v.sla.latency_p95_ms !== undefined ? `, p95 ≤ ${v.sla.latency_p95_ms} ms` : ''}`;
}

// --- Markdown ---

function reportMarkdown(r: SlaReport, source: string): string {
  const out: string[] = [];
  out.push(`# Vendor SLA report: ${utc(r.period.from)} to ${utc(r.period.to)}`, '');
  out.push(`Measured by vendorwatch from ${source}${r.measuredUntil < r.period.to ? `, up to ${utc(r.measuredUntil)} (the period is not over)` : ''}.`, '');
  out.push('## How this is measured', '', ...Object.values(DEFINITIONS).map((d) => `- ${d}`), '');
  out.push('## Summary', '');
  out.push('| vendor | SLA | availability | downtime | not measured | budget left | p95 latency | slower than SLA | verdict |');
  out.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const v of r.vendors) {
    const left =
      v.availability.budgetLeftMs === undefined ? '–' : `${humanDuration(v.availability.budgetLeftMs)} (${pct(v.availability.budgetLeftPercent, 1)})`;
    out.push(
      `| ${v.vendor} | ${slaText(v)} | ${pct(v.availability.percent)} | ${humanDuration(v.downtimeMs)} | ${humanDuration(v.unknownMs)} | ${left} | ` +
        `${v.latency.p95Ms === undefined ? '–' : `${Math.round(v.latency.p95Ms)} ms`} | ${pct(v.latency.slowPercent, 2)} | ${verdict(v)} |`,
    );
  }
  out.push('', ...rumSummaryMarkdown(r.vendors));
  for (const v of r.vendors) out.push('', ...vendorMarkdown(v));
  return `${out.join('\n')}\n`;
}

function vendorMarkdown(v: VendorReport): string[] {
  const a = v.availability;
  const out = [`## ${v.vendor}`, ''];
  out.push(`- SLA: ${v.sla ? slaText(v) : 'none in the vendor registry'}`);
  out.push(...supportMarkdown(v.support));
  out.push(
    `- Availability: **${pct(a.percent)}**${a.met === undefined ? '' : a.met ? ' — met' : ` — **BREACHED** (SLA ${v.sla!.availability}%)`}; ` +
      `downtime ${humanDuration(v.downtimeMs)} (any region down for ${humanDuration(v.outageMs)}) of ${humanDuration(v.measuredMs)} measured; ` +
      `${humanDuration(v.unknownMs)} not measured.`,
  );
  if (a.budgetMs !== undefined) {
    out.push(
      `- Availability error budget: ${humanDuration(a.budgetMs)}; left ${humanDuration(a.budgetLeftMs!)} (${pct(a.budgetLeftPercent, 1)})` +
        `${a.exhaustedAt === undefined ? '' : `; ran out at ${utc(a.exhaustedAt)}`}.`,
    );
  }
  out.push(
    v.runs.total
      ? `- Delivery check runs: ${v.runs.total}, ${v.runs.failed} failed (${pct(v.runs.successPercent)} succeeded).`
      : '- Delivery check runs: none recorded in the period.',
  );
  if (v.latency.runs) {
    const l = v.latency;
    out.push(
      `- Latency: p95 ≈ ${Math.round(l.p95Ms!)} ms over ${l.runs} successful runs` +
        (l.slowRuns === undefined
          ? '.'
          : `; ${l.slowRuns} (${pct(l.slowPercent, 2)}) slower than ${v.sla!.latency_p95_ms} ms — ${l.met ? 'met' : '**BREACHED**'}, ` +
            `error budget left ${pct(l.budgetLeftPercent, 1)}.`),
    );
  } else out.push('- Latency: no successful runs recorded in the period.');
  out.push(...rumVendorMarkdown(v));
  out.push('');
  if (!v.incidents.length) return [...out, 'No incidents in the period.'];
  out.push('### Incidents', '');
  out.push('| incident | start | end | worst | regions | downtime in period | share of budget | breaching |');
  out.push('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const i of v.incidents) {
    out.push(
      `| ${i.id} | ${utc(i.start)} | ${i.end === null ? 'ongoing' : utc(i.end)} | ${i.worst} | ${i.regions.join(', ')} | ${humanDuration(i.downtimeMs)} | ` +
        `${pct(i.budgetPercent, 1)} | ${i.breaching ? 'yes' : 'no'} |`,
    );
  }
  for (const i of v.incidents.filter((x) => x.breaching)) out.push('', ...incidentMarkdown(i));
  for (const i of v.incidents.filter((x) => x.postmortem)) out.push('', ...postmortemMarkdown(i.id, i.postmortem!));
  return out;
}

/** The vendor registry's support fields, one line each. */
function supportMarkdown(support: Record<string, string>): string[] {
  const label: Record<string, string> = { support_url: 'Support', contacts: 'Contacts', escalation: 'Escalation', contract: 'Contract' };
  return Object.entries(support).map(([k, v]) => `- ${label[k] ?? k}: ${v}`);
}

/** What people added to an incident for its postmortem (vendorwatch incident note). */
function postmortemMarkdown(id: string, p: Postmortem): string[] {
  return [
    `#### Postmortem of incident ${id}`,
    '',
    `- Owner: ${p.owner ?? '–'}`,
    `- Vendor ticket: ${p.ticket ?? '–'}`,
    `- Root cause: ${p.rootCause ?? 'not recorded'}`,
    ...p.notes.map((n) => `- Note, ${utc(n.at)}${n.author ? ` (${n.author})` : ''}: ${n.text}`),
    ...p.followUps.map((f) => `- Follow-up: ${f.text}`),
  ];
}

function incidentMarkdown(i: IncidentReport): string[] {
  return [
    `#### Incident ${i.id}`,
    '',
    `${utc(i.start)} to ${i.end === null ? 'now (ongoing)' : utc(i.end)}: ${i.states.join(' → ')} in ${i.regions.join(', ')}.`,
    '',
    `> ${i.summary}`,
    '',
    'Probe votes at its worst:',
    '',
    '```',
    i.evidence || '(none recorded)',
    '```',
  ];
}

// --- JSON ---

function reportJson(r: SlaReport, source: string) {
  const opt = (n: number | undefined, f: (n: number) => number) => (n === undefined ? null : f(n));
  const p4 = (n: number) => round(n, 4);
  return {
    source,
    period: { from: iso(r.period.from), to: iso(r.period.to), measuredUntil: iso(r.measuredUntil) },
    definitions: DEFINITIONS,
    vendors: r.vendors.map((v) => ({
      vendor: v.vendor,
      sla: v.sla,
      verdict: verdict(v),
      support: v.support,
      availability: {
        percent: opt(v.availability.percent, p4),
        met: v.availability.met ?? null,
        measuredSeconds: seconds(v.measuredMs),
        notMeasuredSeconds: seconds(v.unknownMs),
        downtimeSeconds: seconds(v.downtimeMs),
        outageSeconds: seconds(v.outageMs),
        budgetSeconds: opt(v.availability.budgetMs, seconds),
        budgetLeftSeconds: opt(v.availability.budgetLeftMs, seconds),
        budgetLeftPercent: opt(v.availability.budgetLeftPercent, p4),
        budgetExhaustedAt: v.availability.exhaustedAt === undefined ? null : iso(v.availability.exhaustedAt),
      },
      runs: { total: v.runs.total, failed: v.runs.failed, successPercent: opt(v.runs.successPercent, p4) },
      latency: {
        successfulRuns: v.latency.runs,
        p95Seconds: opt(v.latency.p95Ms, (ms) => round(ms / 1000, 6)),
        slowRuns: v.latency.slowRuns ?? null,
        slowPercent: opt(v.latency.slowPercent, p4),
        met: v.latency.met ?? null,
        budgetLeftPercent: opt(v.latency.budgetLeftPercent, p4),
      },
      incidents: v.incidents.map((i) => ({
        id: i.id,
        start: iso(i.start),
        end: i.end === null ? null : iso(i.end),
        worst: i.worst,
        states: i.states,
        regions: i.regions,
        downtimeSeconds: seconds(i.downtimeMs),
        budgetPercent: opt(i.budgetPercent, p4),
        breaching: i.breaching,
        summary: i.summary,
        evidence: i.evidence,
        realUsers: i.realUsers ?? null,
        postmortem: i.postmortem ?? null,
      })),
      rum: rumJson(v),
    })),
  };
}

// --- CSV: one row per vendor, then one per incident ---

const CSV_COLUMNS = [
  'record',
  'vendor',
  'period_from',
  'period_to',
  'sla_availability_percent',
  'availability_percent',
  'availability_met',
  'measured_seconds',
  'not_measured_seconds',
  'downtime_seconds',
  'budget_seconds',
  'budget_left_seconds',
  'sla_latency_p95_ms',
  'latency_p95_ms',
  'successful_runs',
  'slow_runs',
  'latency_met',
  'runs',
  'failed_runs',
  'incident',
  'start',
  'end',
  'worst',
  'regions',
  'breaching',
  'summary',
  ...RUM_CSV_COLUMNS,
  'owner',
  'vendor_ticket',
  'root_cause',
  'notes',
  'follow_ups',
] as const;
type Row = Partial<Record<(typeof CSV_COLUMNS)[number], string | number | boolean | undefined>>;

function csvCell(value: Row[keyof Row]): string {
  if (value === undefined) return '';
  const s = typeof value === 'number' ? String(round(value, 4)) : String(value);
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

function reportCsv(r: SlaReport): string {
  const period = { period_from: iso(r.period.from), period_to: iso(r.period.to) };
  const rows: Row[] = [];
  for (const v of r.vendors) {
    rows.push({
      record: 'vendor',
      vendor: v.vendor,
      ...period,
      sla_availability_percent: v.sla?.availability,
      availability_percent: v.availability.percent,
      availability_met: v.availability.met,
      measured_seconds: seconds(v.measuredMs),
      not_measured_seconds: seconds(v.unknownMs),
      downtime_seconds: seconds(v.downtimeMs),
      budget_seconds: v.availability.budgetMs === undefined ? undefined : seconds(v.availability.budgetMs),
      budget_left_seconds: v.availability.budgetLeftMs === undefined ? undefined : seconds(v.availability.budgetLeftMs),
      sla_latency_p95_ms: v.sla?.latency_p95_ms,
      latency_p95_ms: v.latency.p95Ms,
      successful_runs: v.latency.runs,
      slow_runs: v.latency.slowRuns,
      latency_met: v.latency.met,
      runs: v.runs.total,
      failed_runs: v.runs.failed,
      ...rumCsvVendor(v),
    });
  }
  for (const v of r.vendors) {
    for (const i of v.incidents) {
      rows.push({
        record: 'incident',
        vendor: v.vendor,
        ...period,
        downtime_seconds: seconds(i.downtimeMs),
        incident: i.id,
        start: iso(i.start),
        end: i.end === null ? undefined : iso(i.end),
        worst: i.worst,
        regions: i.regions.join(' '),
        breaching: i.breaching,
        summary: i.summary,
        ...rumCsvIncident(i),
        owner: i.postmortem?.owner,
        vendor_ticket: i.postmortem?.ticket,
        root_cause: i.postmortem?.rootCause,
        notes: i.postmortem?.notes.map((n) => n.text).join(' | '),
        follow_ups: i.postmortem?.followUps.map((f) => f.text).join(' | '),
      });
    }
  }
  return [CSV_COLUMNS.join(','), ...rows.map((row) => CSV_COLUMNS.map((c) => csvCell(row[c])).join(','))].join('\n') + '\n';
}
