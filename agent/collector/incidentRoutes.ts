/**
 * Working with the vendor on an incident:
 *   POST /v1/incidents/ID/notes     add a note, owner, root cause, vendor ticket or follow-up
 *                                   (JSON, incidentNotes.ts); needs collector.token (or
 *                                   VENDORWATCH_TOKEN) as a bearer token: 401 without, 403 for a
 *                                   token scoped to regions or probes; 400 bad body, 404 no such
 *                                   incident, 409 the incident holds the most notes it can.
 *   GET  /v1/incidents/ID/evidence  the evidence pack (evidencePack.ts): JSON, or Markdown with
 *                                   ?format=md. Read-only, like the rest of the read API.
 */
import { z } from 'zod';
import type { Config } from '../../config/schema.ts';
import type { Logger } from '../log.ts';
import { HttpError, readBody, sendJson, type Routes } from '../server.ts';
import type { Collector } from './collector.ts';
import { evidenceMarkdown, evidencePack } from './evidencePack.ts';
import type { IncidentRuns } from './incidentRuns.ts';
import { noteInputSchema } from './incidentNotes.ts';
import type { Ingest } from './ingest.ts';
import { readJournalEvents } from './journal.ts';
import { incidentNotes } from './metrics.ts';

/** A note is a few kilobytes at most (incidentNotes.ts limits each field). */
const MAX_NOTE_BYTES = 16 * 1024;

interface IncidentRouteSources {
  config: Config;
  collector: Collector;
  ingest: Ingest;
  runs: IncidentRuns;
  logger: Logger;
}

/** The ID segment of /v1/incidents/ID/… */
const incidentId = (url: URL) => decodeURIComponent(url.pathname.split('/')[3] ?? '');

export function incidentRoutes({ config, collector, ingest, runs, logger }: IncidentRouteSources): Routes {
  return {
    'POST /v1/incidents/:id/notes': async (req, res, url) => {
      const refuse = (result: string, status: number, message: string): never => {
        incidentNotes.inc({ result });
        logger.warn({ incident: incidentId(url).slice(0, 64), result, reason: message }, 'incident note refused');
        throw new HttpError(status, message);
      };
      let scope;
      try {
        scope = ingest.authorize(req.headers.authorization);
      } catch (err) {
        return refuse('unauthorized', 401, (err as Error).message);
      }
      if (scope !== 'all') return refuse('unauthorized', 403, 'a token scoped to regions or probes may only push results; notes need collector.token');
      let json: unknown;
      try {
        json = JSON.parse((await readBody(req, MAX_NOTE_BYTES)).toString('utf8'));
      } catch (err) {
        return refuse(
          'invalid',
          err instanceof HttpError ? err.status : 400,
          err instanceof HttpError ? err.message : `body is not JSON: ${(err as Error).message}`,
        );
      }
      const parsed = noteInputSchema.safeParse(json);
      if (!parsed.success) return refuse('invalid', 400, `not a note: ${z.prettifyError(parsed.error).slice(0, 1000)}`);
      const added = collector.addNote(incidentId(url), parsed.data);
      if ('refused' in added) return refuse(added.refused, added.refused === 'not_found' ? 404 : 409, added.reason);
      incidentNotes.inc({ result: 'accepted' });
      sendJson(res, 200, { incident: added.incident });
    },
    'GET /v1/incidents/:id/evidence': (_req, res, url) => {
      const id = incidentId(url);
      const incident = collector.incidents().find((i) => i.id === id);
      if (!incident) throw new HttpError(404, `no incident ${id}`);
      const vendor = config.vendors.find((v) => v.name === incident.vendor);
      if (!vendor) throw new HttpError(404, `incident ${id} is of vendor ${incident.vendor}, which is no longer configured`);
      const events = readJournalEvents(config.collector.journal, () => {});
      const pack = evidencePack({
        incident,
        vendor,
        checks: config.checks.filter((c) => c.vendor === vendor.name),
        events,
        kept: runs.read(id),
        now: Date.now(),
      });
      if (url.searchParams.get('format') !== 'md') return sendJson(res, 200, pack);
      const text = evidenceMarkdown(pack);
      res.writeHead(200, { 'content-type': 'text/markdown; charset=utf-8', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    },
  };
}
