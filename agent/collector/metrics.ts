/**
 * The collector's own metrics: ingest, clock skew, vendor states, consensus, probe health,
 * evaluations, alert deliveries and the journal.
 */
import { Counter, Gauge, Histogram } from 'prom-client';
import { registry } from '../metrics.ts';

export const probeClockSkew = new Gauge({
  name: 'vendorwatch_probe_clock_skew_seconds',
  help: "How far a probe's clock is behind the collector's (negative: ahead), once measured over a minute of pushes.",
  labelNames: ['probe', 'region'] as const,
  registers: [registry],
});

export const ingestRequests = new Counter({
  name: 'vendorwatch_ingest_requests_total',
  help: 'Result pushes received, by HTTP status answered.',
  labelNames: ['code'] as const,
  registers: [registry],
});

export const ingestResults = new Counter({
  name: 'vendorwatch_ingest_results_total',
  help: "Results received by the collector: accepted, duplicate (same id seen before) or unknown_check (not in this collector's config).",
  labelNames: ['probe', 'result'] as const,
  registers: [registry],
});

/** One vendor's conditions after an evaluation, overall and per region: what the two state gauges show. */
interface HeldStates {
  vendor: string;
  holds: ReadonlySet<string>;
  regions: readonly (readonly [string, ReadonlySet<string>])[];
}

let lastVendorStates: { states: readonly string[]; vendors: readonly HeldStates[] } = { states: [], vendors: [] };

/** Keeps the last evaluation's vendor states for vendorwatch_vendor_state and vendorwatch_vendor_region_state. */
export function setVendorStates(states: readonly string[], vendors: readonly HeldStates[]): void {
  lastVendorStates = { states, vendors };
}

// Both filled when scraped, like vendorwatch_consensus_votes: setting each of their (vendors ×
// regions × states) series on every evaluation took a tenth of it (bench/consensus.ts).
new Gauge({
  name: 'vendorwatch_vendor_state',
  help: 'Vendor state conditions: 1 for every condition that holds (the state is the most severe), 0 otherwise.',
  labelNames: ['vendor', 'state'] as const,
  registers: [registry],
  collect() {
    this.reset();
    const { states, vendors } = lastVendorStates;
    for (const { vendor, holds } of vendors) for (const state of states) this.set({ vendor, state }, holds.has(state) ? 1 : 0);
  },
});

new Gauge({
  name: 'vendorwatch_vendor_region_state',
  help: 'Vendor state conditions in one region, judged on that region alone: 1 where it holds.',
  labelNames: ['vendor', 'region', 'state'] as const,
  registers: [registry],
  collect() {
    this.reset();
    const { states, vendors } = lastVendorStates;
    for (const { vendor, regions } of vendors) {
      for (const [region, holds] of regions) for (const state of states) this.set({ vendor, region, state }, holds.has(state) ? 1 : 0);
    }
  },
});

export const vendorStateChanges = new Counter({
  name: 'vendorwatch_vendor_state_changes_total',
  help: 'Vendor state changes.',
  labelNames: ['vendor', 'from', 'to'] as const,
  registers: [registry],
});

export const vendorFlapping = new Gauge({
  name: 'vendorwatch_vendor_flapping',
  help: 'Whether a vendor is flapping (1): its state changed too often; one VendorFlapping alert stands for it.',
  labelNames: ['vendor'] as const,
  registers: [registry],
});

const voteKinds = ['ok', 'degraded', 'failing', 'excluded'] as const;

/** One (check, region)'s votes in the last evaluation, by kind. */
export type VoteCounts = { vendor: string; check: string; region: string } & Record<(typeof voteKinds)[number], number>;

let lastVoteCounts: readonly VoteCounts[] = [];

/** Keeps the last evaluation's vote counts for vendorwatch_consensus_votes. */
export function setConsensusVotes(counts: readonly VoteCounts[]): void {
  lastVoteCounts = counts;
}

new Gauge({
  name: 'vendorwatch_consensus_votes',
  help: 'Votes in the consensus window per check and region: ok, degraded, failing, or excluded (from unhealthy probes).',
  labelNames: ['vendor', 'check', 'region', 'vote'] as const,
  registers: [registry],
  // Filled when scraped, not on every evaluation: with 1,000 checks in 5 regions these are 20,000
  // series, and setting them one by one cost each evaluation some 50 ms (bench/consensus.ts).
  collect() {
    this.reset();
    for (const { vendor, check, region, ...votes } of lastVoteCounts) {
      for (const vote of voteKinds) this.set({ vendor, check, region, vote }, votes[vote]);
    }
  },
});

export const probeUp = new Gauge({
  name: 'vendorwatch_probe_up',
  help: 'Whether a probe reported within probe_down_after (1) or is probe_down (0).',
  labelNames: ['probe', 'region'] as const,
  registers: [registry],
});

export const probeUnhealthy = new Gauge({
  name: 'vendorwatch_probe_unhealthy',
  help: 'Whether a probe fails what its peers pass across vendors (1); its votes are then ignored.',
  labelNames: ['probe', 'region'] as const,
  registers: [registry],
});

export const evaluationDuration = new Histogram({
  name: 'vendorwatch_consensus_evaluation_duration_seconds',
  help: 'Time one evaluation of consensus, vendor states and alerts took.',
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
  registers: [registry],
});

export const alertDeliveries = new Counter({
  name: 'vendorwatch_alert_deliveries_total',
  help: 'Alert deliveries per receiver: delivered, failed (an attempt; retried) or dropped (gave up after retries).',
  labelNames: ['receiver', 'result'] as const,
  registers: [registry],
});

export const journalWriteErrors = new Counter({
  name: 'vendorwatch_journal_write_errors_total',
  help: 'Journal lines lost because they could not be written (e.g. a full disk), and failed writes of the hourly results file (retried); the collector keeps running.',
  registers: [registry],
});

export const journalSkippedLines = new Counter({
  name: 'vendorwatch_journal_skipped_lines_total',
  help: 'Journal lines skipped when read because they do not parse (torn by a crash or a full disk, or edited by hand).',
  registers: [registry],
});

export const incidentNotes = new Counter({
  name: 'vendorwatch_incident_notes_total',
  help: 'Incident notes received on POST /v1/incidents/ID/notes: accepted, or refused as unauthorized, invalid, not_found (no such incident) or full (the incident holds the most notes it can).',
  labelNames: ['result'] as const,
  registers: [registry],
});
