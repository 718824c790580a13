/**
 * Incidents: one per stretch of time a vendor is in a problem state, the evidence SLA reports
 * and post-mortems rest on. Pure functions only.
 *
 * An incident opens when the vendor's last known state becomes a problem state, follows it
 * while it changes (the worst state, every state and region it went through, the evidence of
 * the worst moment), and closes when the vendor is seen operational again. A spell of unknown
 * (no consensus) neither opens nor closes one.
 */
import { z } from 'zod';
import { evidenceSchema, isProblem, vendorStates, vendorStateSchema, worse, type VendorStatus } from './state.ts';

export const incidentSchema = z.object({
  id: z.string(),
  vendor: z.string(),
  start: z.number(),
  end: z.number().nullable(),
  worst: vendorStateSchema,
  states: z.array(vendorStateSchema),
  regions: z.array(z.string()),
  flapped: z.boolean(),
  summary: z.string(),
  evidence: z.array(evidenceSchema),
});
export type Incident = z.infer<typeof incidentSchema>;

const union = (a: readonly string[], b: readonly string[]) => [...new Set([...a, ...b])].sort();

/**
 * The vendor's incident after this evaluation: still open, just closed (end set), or undefined
 * when it has none; `changed` says whether it must be journaled.
 */
export function nextIncident(
  open: Incident | undefined,
  vendor: string,
  status: VendorStatus,
  now: number,
  describe: () => string,
  newId: () => string,
): { incident: Incident | undefined; changed: boolean } {
  const known = status.lastKnown;
  if (!isProblem(known.state)) {
    if (!open) return { incident: undefined, changed: false };
    return { incident: { ...open, end: now }, changed: true };
  }
  if (!open) {
    return {
      incident: {
        id: newId(),
        vendor,
        start: now,
        end: null,
        worst: known.state,
        states: [known.state],
        regions: known.regions,
        flapped: Boolean(status.flapping),
        summary: describe(),
        evidence: known.evidence,
      },
      changed: true,
    };
  }
  const worsened = vendorStates.indexOf(known.state) < vendorStates.indexOf(open.worst);
  const next: Incident = {
    ...open,
    worst: worse(open.worst, known.state),
    states: open.states.includes(known.state) ? open.states : [...open.states, known.state],
    regions: union(open.regions, known.regions),
    flapped: open.flapped || Boolean(status.flapping),
    summary: worsened ? describe() : open.summary,
    evidence: worsened ? known.evidence : open.evidence,
  };
  const changed = JSON.stringify([next.worst, next.states, next.regions, next.flapped]) !== JSON.stringify([open.worst, open.states, open.regions, open.flapped]);
  return { incident: next, changed };
}
