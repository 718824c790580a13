/**
 * Incident notes: what people add to an incident for its postmortem (a note, who owns it, the
 * root cause, the vendor's ticket, follow-ups). Each addition is journaled as its own event
 * (`incident_note`) and folded into the incident's `postmortem` on replay, so notes survive
 * restarts like everything else. Pure functions only; the API is in api.ts.
 *
 * Sizes are bounded (each text, and how many notes and follow-ups an incident holds) so a
 * script gone wrong cannot grow the journal or the status page without limit.
 */
import { z } from 'zod';

/** Notes and follow-ups one incident holds, at most; further ones are refused (409). */
export const MAX_NOTES = 200;
export const MAX_FOLLOW_UPS = 50;

/** One addition to an incident, as the API takes it: at least one field. */
export const noteInputSchema = z
  .strictObject({
    text: z.string().trim().min(1).max(2000).optional().describe('A note, appended to the timeline with its time.'),
    author: z.string().trim().min(1).max(100).optional().describe('Who wrote the note.'),
    owner: z.string().trim().min(1).max(100).optional().describe('Who owns the incident now (replaces the previous owner).'),
    root_cause: z.string().trim().min(1).max(2000).optional().describe('The root cause as known now (replaces the previous one).'),
    ticket: z.string().trim().min(1).max(200).optional().describe("The vendor's ticket reference (replaces the previous one)."),
    follow_up: z.string().trim().min(1).max(500).optional().describe('A follow-up action, appended to the list.'),
  })
  .refine((n) => Object.values(n).some((v) => v !== undefined), { message: 'give at least one of text, owner, root_cause, ticket, follow_up' })
  .refine((n) => n.author === undefined || n.text !== undefined, { message: 'author goes with text' });
export type NoteInput = z.infer<typeof noteInputSchema>;

/** What an incident's postmortem holds: the fold of its notes. */
export const postmortemSchema = z.object({
  notes: z.array(z.object({ at: z.number(), text: z.string(), author: z.string().optional() })),
  owner: z.string().optional(),
  rootCause: z.string().optional(),
  ticket: z.string().optional(),
  followUps: z.array(z.object({ at: z.number(), text: z.string() })),
});
export type Postmortem = z.infer<typeof postmortemSchema>;

const EMPTY: Postmortem = { notes: [], followUps: [] };

/** Why a note cannot be added, or undefined when it can. */
export function noteRefusal(postmortem: Postmortem | undefined, note: NoteInput): string | undefined {
  const p = postmortem ?? EMPTY;
  if (note.text !== undefined && p.notes.length >= MAX_NOTES) return `the incident already has ${MAX_NOTES} notes, the most it holds`;
  if (note.follow_up !== undefined && p.followUps.length >= MAX_FOLLOW_UPS) return `the incident already has ${MAX_FOLLOW_UPS} follow-ups, the most it holds`;
  return undefined;
}

/** The postmortem with one note added at `at` (replay folds journaled notes through this too). */
export function withNote(postmortem: Postmortem | undefined, note: NoteInput, at: number): Postmortem {
  const p = postmortem ?? EMPTY;
  return {
    notes: note.text === undefined ? p.notes : [...p.notes, { at, text: note.text, ...(note.author ? { author: note.author } : {}) }],
    owner: note.owner ?? p.owner,
    rootCause: note.root_cause ?? p.rootCause,
    ticket: note.ticket ?? p.ticket,
    followUps: note.follow_up === undefined ? p.followUps : [...p.followUps, { at, text: note.follow_up }],
  };
}
