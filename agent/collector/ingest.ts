/**
 * `POST /v1/results`: where probes push batches of CheckResults.
 *
 *   401  missing or wrong bearer token (compared in constant time), or no token configured
 *   413  body over collector.max_body_bytes
 *   400  not JSON, or not {"results": [CheckResult, ...]} (the answer names the first problems)
 *   200  {"accepted": n, "duplicate": n, "unknown_check": n}
 *
 * Idempotent by result id: a probe that re-sends a batch (its answer was lost) changes nothing;
 * the last RECENT_IDS ids are remembered. Results for checks this collector's config does not
 * have (or has for another vendor) are counted as unknown_check and dropped, not refused:
 * probes and collectors pick up a new config at different times, and refusing the batch would
 * make the probe spool and retry results that can never be accepted.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { checkResultSchema, type CheckResult } from '../../config/result.ts';
import { ingestRequests, ingestResults } from '../metrics.ts';
import { HttpError, readBody, sendJson, type Routes } from '../server.ts';
import type { Collector } from './collector.ts';

/** Results per push, at most (probes send at most PUSH_BATCH_MAX). */
export const INGEST_BATCH_MAX = 5000;
const RECENT_IDS = 200_000;

export const pushBodySchema = z.object({ results: z.array(checkResultSchema).max(INGEST_BATCH_MAX) });
export type PushBody = z.infer<typeof pushBodySchema>;

export type IngestCounts = Record<'accepted' | 'duplicate' | 'unknown_check', number>;

/** The last `capacity` ids seen, oldest forgotten first. */
export class RecentIds {
  private readonly ids = new Set<string>();

  constructor(private readonly capacity: number) {}

  /** Adds an id; answers false when it was already there. */
  add(id: string): boolean {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    // A Set iterates in insertion order: its first entry is the oldest.
    if (this.ids.size > this.capacity) this.ids.delete(this.ids.values().next().value!);
    return true;
  }
}

const digest = (s: string) => createHash('sha256').update(s).digest();

export class Ingest {
  private readonly recent = new RecentIds(RECENT_IDS);
  private readonly tokenDigest: Buffer | undefined;

  constructor(
    private readonly collector: Collector,
    private readonly opts: { token: string | undefined; maxBodyBytes: number },
  ) {
    this.tokenDigest = opts.token ? digest(opts.token) : undefined;
  }

  /** Takes results into consensus; also the in-process path of `vendorwatch run`. */
  accept(results: readonly CheckResult[], receivedAt = Date.now()): IngestCounts {
    const counts: IngestCounts = { accepted: 0, duplicate: 0, unknown_check: 0 };
    for (const r of results) {
      const outcome = !this.recent.add(r.id) ? 'duplicate' : this.collector.watches(r) ? 'accepted' : 'unknown_check';
      if (outcome === 'accepted') this.collector.record(r, receivedAt);
      counts[outcome]++;
      ingestResults.inc({ probe: r.probe, result: outcome });
    }
    if (counts.accepted) this.collector.requestEvaluation();
    return counts;
  }

  routes(): Routes {
    return {
      'POST /v1/results': async (req, res) => {
        try {
          this.authorize(req.headers.authorization);
          const body = await readBody(req, this.opts.maxBodyBytes);
          const batch = parseBatch(body);
          const counts = this.accept(batch.results);
          ingestRequests.inc({ code: '200' });
          sendJson(res, 200, counts);
        } catch (err) {
          ingestRequests.inc({ code: String(err instanceof HttpError ? err.status : 500) });
          throw err;
        }
      },
    };
  }

  private authorize(header: string | undefined): void {
    if (!this.tokenDigest) throw new HttpError(401, 'this collector has no collector.token configured, so it accepts no pushes');
    const m = /^Bearer\s+(.+)$/i.exec(header ?? '');
    // Hashing both sides gives equal lengths, so the comparison time says nothing about the token.
    if (!m || !timingSafeEqual(digest(m[1]!.trim()), this.tokenDigest)) throw new HttpError(401, 'missing or wrong bearer token');
  }
}

function parseBatch(body: Buffer): PushBody {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new HttpError(400, `body is not JSON: ${(err as Error).message}`);
  }
  const parsed = pushBodySchema.safeParse(json);
  if (!parsed.success) throw new HttpError(400, `not a batch of CheckResults: ${z.prettifyError(parsed.error).slice(0, 1000)}`);
  return parsed.data;
}
