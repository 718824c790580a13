/**
 * `vendorwatch evidence` and `vendorwatch incident note`: they talk to a running collector's API
 * (agent/collector/incidentRoutes.ts), which holds the incidents, their runs and the journal.
 */
import { readFileSync } from 'node:fs';

/** What went wrong, and whether the user's arguments are to blame (exit 2) or not (exit 3). */
export class IncidentCliError extends Error {
  constructor(
    message: string,
    readonly badArguments: boolean,
  ) {
    super(message);
  }
}

/** A collector's base URL as given, without a trailing slash; refused unless http(s). */
function baseUrl(collector: string): string {
  if (!/^https?:\/\/[^/]+/.test(collector)) throw new IncidentCliError(`--collector expects an http(s) base URL, got "${collector}"`, true);
  return collector.replace(/\/+$/, '');
}

async function call(url: string, init?: RequestInit): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, signal: AbortSignal.timeout(30_000) });
  } catch (err) {
    throw new IncidentCliError(`cannot reach the collector at ${new URL(url).origin}: ${(err as Error).cause ?? (err as Error).message}`, false);
  }
  if (res.ok) return res;
  const body = await res.text();
  let reason = body;
  try {
    reason = (JSON.parse(body) as { error?: string }).error ?? body;
  } catch {
    // Not our JSON error: show the text as it came.
  }
  throw new IncidentCliError(`the collector answered ${res.status}: ${reason.slice(0, 1000)}`, res.status === 400 || res.status === 404 || res.status === 409);
}

/** The evidence pack of an incident: Markdown, or the JSON as the API gives it. */
export async function fetchEvidence(collector: string, id: string, format: 'md' | 'json'): Promise<string> {
  const res = await call(`${baseUrl(collector)}/v1/incidents/${encodeURIComponent(id)}/evidence${format === 'md' ? '?format=md' : ''}`);
  const text = await res.text();
  return format === 'json' ? `${JSON.stringify(JSON.parse(text), null, 2)}\n` : text;
}

/** The token for notes: --token-file, else the config's collector.token, else VENDORWATCH_TOKEN. */
export function noteToken(tokenFile: string | undefined, configToken: string | undefined): string {
  if (tokenFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(tokenFile, 'utf8');
    } catch (err) {
      throw new IncidentCliError(`--token-file: ${(err as Error).message}`, true);
    }
    return text.trim();
  }
  const token = configToken || process.env.VENDORWATCH_TOKEN;
  if (!token)
    throw new IncidentCliError("no token: give --token-file, or set collector.token in the config or VENDORWATCH_TOKEN (the collector's own token)", true);
  return token;
}

/** Adds a note to an incident; answers a one-line confirmation. */
export async function addNote(collector: string, id: string, token: string, note: Record<string, string | undefined>): Promise<string> {
  const body = Object.fromEntries(Object.entries(note).filter(([, v]) => v !== undefined));
  const res = await call(`${baseUrl(collector)}/v1/incidents/${encodeURIComponent(id)}/notes`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const { incident } = (await res.json()) as { incident: { id: string; vendor: string; postmortem?: { notes: unknown[]; followUps: unknown[] } } };
  const p = incident.postmortem;
  return `incident ${incident.id} (${incident.vendor}): noted ${Object.keys(body).join(', ')}; it has ${p?.notes.length ?? 0} note(s), ${p?.followUps.length ?? 0} follow-up(s)\n`;
}
