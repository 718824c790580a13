/**
 * `POST /v1/results`: where probes push batches of CheckResults.
 *
 *   401  missing or wrong bearer token (compared in constant time), or no token configured
 *   413  body over collector.max_body_bytes
 *   400  not JSON, or not {"results": [CheckResult, ...]} (the answer names the first problems)
 *   200  one count per outcome ({"accepted": n, "duplicate": n, "unknown_check": n, …}) and
 *        `refused`: [{id, reason}] for every result refused (the outcomes after unknown_check)
 *
 * Idempotent by result id: a probe that re-sends a batch (its answer was lost) changes nothing;
 * the last RECENT_IDS ids are remembered. Results for checks this collector's config does not
 * have (or has for another vendor) are counted as unknown_check and dropped, not refused:
 * probes and collectors pick up a new config at different times, and refusing the batch would
 * make the probe spool and retry results that can never be accepted.
 *
 * Each result is judged alone, in this order, and the first that applies is its outcome:
 *   forbidden        its token (collector.tokens) may not speak for its probe or region
 *   duplicate        its id was seen before
 *   unknown_check    see above
 *   too_many_probes  a new probe id while collector.max_probes are known
 *   too_old, too_new it started more than collector.max_result_age before, or more than
 *                    collector.max_result_ahead after, the collector's clock
 *   accepted         it votes, and counts for SLA reports
 * A result refused for its time still tells that its probe is alive, and how far its clock is off.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { checkResultSchema, type CheckResult } from '../../config/result.ts';
import type { Config } from '../../config/schema.ts';
import type { Logger } from '../log.ts';
import { ingestRequests, ingestResults } from './metrics.ts';
import { HttpError, readBody, sendJson, type Routes } from '../server.ts';
import { pushSamples } from './clockSkew.ts';
import type { Collector } from './collector.ts';

/** Results per push, at most (probes send at most PUSH_BATCH_MAX). */
const INGEST_BATCH_MAX = 5000;
const RECENT_IDS = 200_000;

/** Results are checked one by one (checkResultSchema), so one malformed result costs only itself. */
export const pushBodySchema = z.object({
  results: z.array(z.unknown()).max(INGEST_BATCH_MAX),
  /** When the probe sent the push, by its clock (ms since the epoch): the cleanest clock-skew sample. Optional. */
  sentAt: z.number().int().nonnegative().optional(),
});
type PushBody = z.infer<typeof pushBodySchema>;

const ingestOutcomes = ['accepted', 'duplicate', 'unknown_check', 'invalid', 'forbidden', 'too_many_probes', 'too_old', 'too_new'] as const;
type Outcome = (typeof ingestOutcomes)[number];
type Refusal = Exclude<Outcome, 'accepted' | 'duplicate' | 'unknown_check'>;
const isRefusal = (o: Outcome): o is Refusal => o !== 'accepted' && o !== 'duplicate' && o !== 'unknown_check';

type IngestAnswer = Record<Outcome, number> & { refused: { id: string; reason: Refusal; error?: string }[] };

/** Whom a token may speak for: everyone (collector.token), or some regions and probes (collector.tokens). */
type TokenScope = 'all' | { regions: ReadonlySet<string>; probes: ReadonlySet<string> };

/** The last `capacity` ids seen, oldest forgotten first. */
class RecentIds {
  private readonly ids = new Set<string>();
  /**
   * The same ids in a ring, oldest at `next` once full. Finding the oldest through the Set's
   * iterator instead skips every entry deleted before it, which made each result cost O(capacity).
   */
  private readonly ring: string[] = [];
  private next = 0;

  constructor(private readonly capacity: number) {}

  /** Adds an id; answers false when it was already there. */
  add(id: string): boolean {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    if (this.ring.length < this.capacity) this.ring.push(id);
    else {
      this.ids.delete(this.ring[this.next]!);
      this.ring[this.next] = id;
      this.next = (this.next + 1) % this.capacity;
    }
    return true;
  }
}

const digest = (s: string) => createHash('sha256').update(s).digest();

interface IngestOptions {
  /** collector.token (or VENDORWATCH_TOKEN): speaks for every probe. */
  token: string | undefined;
  /** Its tokens, max_body_bytes, max_result_age and max_result_ahead. */
  config: Pick<Config['collector'], 'tokens' | 'max_body_bytes' | 'max_result_age' | 'max_result_ahead'>;
  logger: Logger;
}

export class Ingest {
  private readonly recent = new RecentIds(RECENT_IDS);
  private readonly tokens: { digest: Buffer; scope: TokenScope }[];

  constructor(
    private readonly collector: Collector,
    private readonly opts: IngestOptions,
  ) {
    this.tokens = [
      ...(opts.token ? [{ digest: digest(opts.token), scope: 'all' as const }] : []),
      ...opts.config.tokens.map((t) => ({ digest: digest(t.token), scope: { regions: new Set(t.regions), probes: new Set(t.probes) } })),
    ];
  }

  /** Takes results into consensus; also the in-process path of `vendorwatch run`. */
  accept(results: readonly CheckResult[], receivedAt = Date.now(), scope: TokenScope = 'all', sentAt?: number): IngestAnswer {
    const answer: IngestAnswer = { ...(Object.fromEntries(ingestOutcomes.map((o) => [o, 0])) as Record<Outcome, number>), refused: [] };
    const heard: CheckResult[] = [];
    /** ingestResults increments by label values, added once per push rather than once per result. */
    const counted = new Map<string, { probe: string; result: Outcome; n: number }>();
    for (const r of results) {
      const outcome = this.judge(r, receivedAt, scope);
      answer[outcome]++;
      if (outcome === 'accepted') this.collector.record(r, receivedAt);
      else if (isRefusal(outcome)) answer.refused.push({ id: r.id, reason: outcome });
      if (outcome === 'too_old' || outcome === 'too_new') this.collector.seen(r, receivedAt);
      if (outcome === 'accepted' || outcome === 'too_old' || outcome === 'too_new') heard.push(r);
      // Only a probe the collector knows (at most collector.max_probes) gets a label value of its own.
      const probe = this.collector.probeRegion(r.probe) === undefined ? '' : r.probe;
      const key = `${probe}\u0000${outcome}`;
      const seen = counted.get(key);
      if (seen) seen.n++;
      else counted.set(key, { probe, result: outcome, n: 1 });
    }
    for (const { probe, result, n } of counted.values()) ingestResults.inc({ probe, result }, n);
    for (const [probe, ms] of pushSamples(heard, receivedAt, sentAt)) this.collector.clockSample(probe, ms, receivedAt);
    if (answer.refused.length) {
      const first = answer.refused[0]!;
      const example = results.find((r) => r.id === first.id)!;
      this.opts.logger.warn(
        { refused: answer.refused.length, reason: first.reason, probe: example.probe, region: example.region, startedAt: example.startedAt },
        'results refused',
      );
    }
    if (answer.accepted) this.collector.requestEvaluation();
    return answer;
  }

  private judge(r: CheckResult, receivedAt: number, scope: TokenScope): Outcome {
    if (scope !== 'all' && !speaksFor(scope, r, this.collector.probeRegion(r.probe))) return 'forbidden';
    if (!this.recent.add(r.id)) return 'duplicate';
    if (!this.collector.watches(r)) return 'unknown_check';
    if (!this.collector.admitsProbe(r.probe)) return 'too_many_probes';
    if (r.startedAt < receivedAt - this.opts.config.max_result_age) return 'too_old';
    if (r.startedAt > receivedAt + this.opts.config.max_result_ahead) return 'too_new';
    return 'accepted';
  }

  routes(): Routes {
    return {
      'POST /v1/results': async (req, res) => {
        try {
          const scope = this.authorize(req.headers.authorization);
          const body = await readBody(req, this.opts.config.max_body_bytes);
          const batch = parseBatch(body);
          const { valid, invalid } = checkEach(batch.results);
          const answer = this.accept(valid, Date.now(), scope, batch.sentAt);
          answer.invalid = invalid.length;
          answer.refused.push(...invalid);
          if (invalid.length) {
            ingestResults.inc({ probe: '', result: 'invalid' }, invalid.length);
            this.opts.logger.warn({ invalid: invalid.length, error: invalid[0]!.error }, 'malformed results refused');
          }
          ingestRequests.inc({ code: '200' });
          sendJson(res, 200, answer);
        } catch (err) {
          ingestRequests.inc({ code: String(err instanceof HttpError ? err.status : 500) });
          throw err;
        }
      },
    };
  }

  /** Whom a bearer token speaks for; throws 401 for none or a wrong one (also used by incident notes). */
  authorize(header: string | undefined): TokenScope {
    if (!this.tokens.length) throw new HttpError(401, 'this collector has no collector.token (or collector.tokens) configured, so it accepts no pushes');
    const m = /^Bearer\s+(.+)$/i.exec(header ?? '');
    if (!m) throw new HttpError(401, 'missing or wrong bearer token');
    // Hashing both sides gives equal lengths, so the comparison time says nothing about the token.
    const presented = digest(m[1]!.trim());
    const match = this.tokens.find((t) => timingSafeEqual(presented, t.digest));
    if (!match) throw new HttpError(401, 'missing or wrong bearer token');
    return match.scope;
  }
}

/** A scoped token speaks for the probes it lists, and for any probe in its regions that is not known elsewhere. */
function speaksFor(scope: Exclude<TokenScope, 'all'>, r: CheckResult, knownRegion: string | undefined): boolean {
  if (scope.probes.has(r.probe)) return true;
  return scope.regions.has(r.region) && (knownRegion === undefined || scope.regions.has(knownRegion));
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

/** Each result checked on its own; a batch with none valid is refused whole (the sender is broken). */
function checkEach(results: readonly unknown[]): { valid: CheckResult[]; invalid: { id: string; reason: 'invalid'; error: string }[] } {
  const valid: CheckResult[] = [];
  const invalid: { id: string; reason: 'invalid'; error: string }[] = [];
  results.forEach((raw, i) => {
    const parsed = checkResultSchema.safeParse(raw);
    if (parsed.success) return void valid.push(parsed.data);
    const where = (path: PropertyKey[]) => [`results[${i}]`, ...path.map(String)].join('.');
    const error = parsed.error.issues
      .map((issue) => `${where(issue.path)}: ${issue.message}`)
      .join('; ')
      .slice(0, 1000);
    const id = (raw as { id?: unknown } | null)?.id;
    invalid.push({ id: typeof id === 'string' ? id.slice(0, 64) : '', reason: 'invalid', error });
  });
  if (results.length && !valid.length)
    throw new HttpError(
      400,
      `not a batch of CheckResults: ${invalid
        .map((r) => r.error)
        .join('; ')
        .slice(0, 1000)}`,
    );
  return { valid, invalid };
}
