/**
 * An HTTP check's expectations, evaluated against what was observed. Every expectation becomes an
 * assertion with expected and actual values; a failed status is `http_status`, any other failure
 * is `assertion`, and a crossed latency threshold only marks the run degraded.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Cacheability, CacheReading, HttpExpect, HttpProtocol, TlsDetails } from '../../../../config/checks/http.ts';
import { phases, type AssertionResult } from '../../../../config/result.ts';
import type { Failure, Phases } from './exchange.ts';

export interface Observed {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  bodyComplete: boolean;
  bytes: number;
  protocol?: HttpProtocol | undefined;
  tls?: TlsDetails | undefined;
  cache: CacheReading;
  cacheability: Cacheability;
  phases: Phases;
}

interface Assessment {
  assertions: AssertionResult[];
  failure?: Failure;
  /** Why the run is degraded (a latency threshold crossed), if it is. */
  degraded?: string;
}

function statusAccepted(status: number, accepted: readonly (number | string)[]): boolean {
  return accepted.some((a) => {
    if (typeof a === 'number') return a === status;
    const [lo, hi] = a.split('-').map(Number) as [number, number];
    return status >= lo && status <= hi;
  });
}

/** The value at "a.b[0].c" (optionally "$."-prefixed) in parsed JSON, or undefined. */
export function jsonAt(root: unknown, path: string): unknown {
  const keys = path
    .replace(/^\$\.?/, '')
    .split('.')
    .filter(Boolean)
    .flatMap((part) => [part.replace(/\[\d+\]/g, ''), ...[...part.matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1]))])
    .filter((k) => k !== '');
  let value = root;
  for (const key of keys) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string | number, unknown>)[key];
  }
  return value;
}

/** A timestamp as ISO 8601 text, or Unix seconds or milliseconds (as a number or numeric text); NaN if not one. */
export function timestampMs(value: unknown): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d+(\.\d+)?$/.test(value) ? Number(value) : NaN;
  if (!Number.isNaN(n)) return n < 1e12 ? n * 1000 : n;
  return typeof value === 'string' ? Date.parse(value) : NaN;
}

const short = (v: unknown) => {
  const text = v === undefined ? 'nothing' : JSON.stringify(v);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
};
const range = (min?: number, max?: number, unit = '') =>
  [min !== undefined ? `≥ ${min}${unit}` : '', max !== undefined ? `≤ ${max}${unit}` : ''].filter(Boolean).join(' and ');
const inRange = (v: number, min?: number, max?: number) => (min === undefined || v >= min) && (max === undefined || v <= max);

export function assess(expect: HttpExpect, seen: Observed, now = Date.now()): Assessment {
  const assertions: AssertionResult[] = [];
  const problems: string[] = [];
  const degradations: string[] = [];
  const check = (name: string, ok: boolean, expected: unknown, actual: unknown, problem: () => string) => {
    assertions.push({ name, ok, expected, actual });
    if (!ok) problems.push(problem());
  };

  const statusOk = statusAccepted(seen.status, expect.status);
  check('status', statusOk, expect.status, seen.status, () => `HTTP ${seen.status}, expected ${expect.status.join(' or ')}`);

  for (const h of expect.headers) {
    const name = h.name.toLowerCase();
    const value = seen.headers[name];
    if (h.absent) check(`header ${name} absent`, value === undefined, 'absent', value ?? null, () => `header ${name} is present: ${short(value)}`);
    else if (h.matches !== undefined) {
      const ok = value !== undefined && new RegExp(h.matches).test(value);
      check(`header ${name} matches`, ok, `/${h.matches}/`, value ?? null, () => `header ${name} ${short(value)} does not match /${h.matches}/`);
    } else check(`header ${name} present`, value !== undefined, 'present', null, () => `header ${name} is missing`);
  }

  const text = () => seen.body.toString('utf8');
  const partly = seen.bodyComplete ? '' : ` (first ${seen.body.length} bytes only)`;
  if (expect.body?.matches !== undefined) {
    const ok = new RegExp(expect.body.matches).test(text());
    check(
      'body matches',
      ok,
      `/${expect.body.matches}/`,
      `${ok ? 'matched' : 'no match'}${partly}`,
      () => `body does not match /${expect.body!.matches}/${partly}`,
    );
  }
  if (expect.body?.not_matches !== undefined) {
    const hit = new RegExp(expect.body.not_matches).exec(text());
    check(
      'body does not match',
      !hit,
      `no /${expect.body.not_matches}/`,
      hit ? hit[0].slice(0, 80) : `no match${partly}`,
      () => `body matches /${expect.body!.not_matches}/: ${short(hit![0])}`,
    );
  }

  if (expect.json.length) {
    let root: unknown;
    let parsed = true;
    try {
      root = JSON.parse(text());
    } catch {
      parsed = false;
    }
    for (const j of expect.json) {
      const value = parsed ? jsonAt(root, j.path) : undefined;
      const actual = parsed ? (value ?? null) : 'body is not JSON';
      const where = `json ${j.path}`;
      if (!parsed) {
        check(where, false, 'a JSON body', actual, () => `${where}: body is not JSON${partly}`);
        continue;
      }
      const plain = !('equals' in j) && j.matches === undefined && j.not_older_than === undefined;
      if (plain) check(`${where} exists`, value !== undefined, 'present', actual, () => `${where} is missing`);
      if ('equals' in j)
        check(`${where} equals`, isDeepStrictEqual(value, j.equals), j.equals, actual, () => `${where} is ${short(value)}, expected ${short(j.equals)}`);
      if (j.matches !== undefined) {
        const asText = typeof value === 'string' ? value : JSON.stringify(value);
        const ok = value !== undefined && new RegExp(j.matches).test(asText);
        check(`${where} matches`, ok, `/${j.matches}/`, actual, () => `${where} ${short(value)} does not match /${j.matches}/`);
      }
      if (j.not_older_than !== undefined) {
        const age = (now - timestampMs(value)) / 1000;
        const limit = j.not_older_than / 1000;
        const ok = !Number.isNaN(age) && age <= limit;
        const shown = Number.isNaN(age) ? `not a timestamp: ${short(value)}` : `${Math.round(age)} s old`;
        check(`${where} fresh`, ok, `at most ${limit} s old`, shown, () => `${where} is stale: ${shown}, expected at most ${limit} s old`);
      }
    }
  }

  if (expect.size) {
    const { min, max } = expect.size;
    check('size', inRange(seen.bytes, min, max), { min, max }, seen.bytes, () => `body is ${seen.bytes} bytes, expected ${range(min, max, ' bytes')}`);
  }
  if (expect.protocol) {
    const actual = seen.protocol ?? 'none';
    check('protocol', actual === expect.protocol, expect.protocol, actual, () => `protocol ${actual}, expected ${expect.protocol}`);
  }
  if (expect.tls_version) {
    const actual = seen.tls?.version ?? 'none (no TLS)';
    check(
      'tls version',
      expect.tls_version.includes(actual as never),
      expect.tls_version,
      actual,
      () => `TLS version ${actual}, expected ${expect.tls_version!.join(' or ')}`,
    );
  }
  if (expect.cert_min_days !== undefined) {
    const days = seen.tls?.cert?.days_left;
    const ok = days !== undefined && days >= expect.cert_min_days;
    check('cert days left', ok, `≥ ${expect.cert_min_days}`, days ?? null, () =>
      days === undefined ? 'no certificate' : `certificate expires in ${days} days, expected at least ${expect.cert_min_days}`,
    );
  }
  if (expect.content_encoding) {
    const actual = (seen.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
    check(
      'content encoding',
      expect.content_encoding.includes(actual as never),
      expect.content_encoding,
      actual,
      () => `content-encoding ${actual}, expected ${expect.content_encoding!.join(' or ')}`,
    );
  }
  if (expect.cache) {
    const { cache, cache_source: source } = seen.cache;
    check(
      'cache',
      expect.cache.includes(cache),
      expect.cache,
      cache,
      () => `cache ${cache}${source ? ` (${source})` : ''}, expected ${expect.cache!.join(' or ')}`,
    );
  }
  if (expect.cacheable !== undefined) {
    const actual = seen.cacheability.cacheable;
    check(
      'cacheable',
      actual === expect.cacheable,
      expect.cacheable,
      actual,
      () => `response is ${actual ? '' : 'not '}cacheable (cache-control: ${short(seen.headers['cache-control'])})`,
    );
  }
  if (expect.ttl) {
    const ttl = seen.cacheability.ttl_seconds;
    const min = expect.ttl.min !== undefined ? expect.ttl.min / 1000 : undefined;
    const max = expect.ttl.max !== undefined ? expect.ttl.max / 1000 : undefined;
    check(
      'ttl',
      ttl !== null && inRange(ttl, min, max),
      { min_seconds: min, max_seconds: max },
      ttl,
      () => `ttl ${ttl === null ? 'not set' : `${ttl} s`}, expected ${range(min, max, ' s')}`,
    );
  }

  for (const phase of phases) {
    const limitMs = expect.latency?.[phase];
    const actual = seen.phases[phase];
    if (limitMs === undefined || actual === undefined) continue;
    const ok = actual * 1000 <= limitMs;
    assertions.push({ name: `latency ${phase}`, ok, expected: `≤ ${limitMs / 1000} s`, actual });
    if (!ok) degradations.push(`${phase} ${actual.toFixed(3)} s over ${limitMs / 1000} s`);
  }

  const assessment: Assessment = { assertions };
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more failed assertion${problems.length > 2 ? 's' : ''})` : '';
  if (problems.length) assessment.failure = { reason: statusOk ? 'assertion' : 'http_status', message: `${problems[0]}${more}` };
  if (degradations.length) assessment.degraded = degradations.join(', ');
  return assessment;
}
