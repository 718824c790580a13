/**
 * The `kind: http` check, built for CDNs and vendor APIs. One run:
 *   1. requests the check URL on a fresh, fully timed connection (dns, connect, tls, ttfb,
 *      transfer), following redirects; with `every_address`, once per address of the host;
 *   2. alongside it, a cache-busted twin (`pair`) and each content profile's URL;
 *   3. then, for an HTML page with `assets`, what it makes a browser fetch (assets.ts), and what
 *      its stylesheets reference in turn;
 * and evaluates every expectation. The check URL's response gives the result's phases and
 * details; any failing request fails the run, and its message says which request failed.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  ASSET_PARSE_BYTES,
  httpExpectSchema,
  type HttpCheck,
  type HttpDetails,
  type HttpExpect,
  type HttpProfile,
  type HttpRequestDetails,
  type HttpRequestSummary,
} from '../../../../config/checks/http.ts';
import { hostMatches } from '../../../../config/hosts.ts';
import type { AssertionResult, ResultOfKind } from '../../../../config/result.ts';
import { assess } from './assertions.ts';
import type { FoundAsset } from './assets.ts';
import { cacheability, cacheStatus } from './cache.ts';
import { bareHost, resolveAll, TimedAgent } from './connection.ts';
import { identifyEdge } from './edge.ts';
import { describeFailure, exchange, type Failure, type Phases } from './exchange.ts';
import { fail, newResult, type CheckContext } from '../check.ts';

type HttpResult = ResultOfKind<'http'>;

/** The query parameter `bust` and `pair` add, unique per request, so the edge cache misses. */
const BUST_PARAM = 'vwbust';
/** At most this many addresses are visited with `every_address`. */
const MAX_ADDRESSES = 16;
/** Child assets fetched at once. */
const ASSET_CONCURRENCY = 4;
/** A child asset only has to arrive: any 2xx or 3xx after redirects. */
const ASSET_EXPECT = httpExpectSchema.parse({});

interface Run {
  check: HttpCheck;
  ctx: CheckContext;
  ca: string | undefined;
}

interface Request {
  /** Names the request in assertions and messages; empty for the check URL itself. */
  label: string;
  url: URL;
  method: string;
  headers: Record<string, string>;
  body?: string | undefined;
  expect: HttpExpect;
  maxBodyBytes: number;
  pinnedAddress?: string;
}

interface Outcome {
  label: string;
  failure?: Failure | undefined;
  degraded?: string | undefined;
  phases: Phases;
  assertions: AssertionResult[];
  details: HttpRequestDetails;
  body?: Buffer;
  /** False when the body was longer than the bytes kept of it. */
  bodyComplete?: boolean;
}

/** Connections kept between runs for checks with `reuse_connection`, by check name. */
const warmAgents = new Map<string, TimedAgent>();

export async function runHttpCheck(check: HttpCheck, ctx: CheckContext): Promise<HttpResult> {
  const result = newResult(check, ctx.probe);
  let ca: string | undefined;
  try {
    ca = check.tls.ca_file ? readFileSync(check.tls.ca_file, 'utf8') : undefined;
  } catch (err) {
    return fail({ ...result, details: { url: check.url } }, 'internal', `cannot read tls.ca_file: ${(err as Error).message}`);
  }
  const run: Run = { check, ctx, ca };
  const page = checkRequest(run);

  const [mains, busted, ...profiles] = await Promise.all([
    check.every_address ? everyAddress(run, page) : fetchOne(run, page).then((o) => [o]),
    check.pair ? fetchOne(run, { ...page, label: 'busted', url: bust(page.url), expect: { ...page.expect, cache: undefined, latency: undefined } }) : undefined,
    ...check.profiles.map((p) => fetchOne(run, profileRequest(run, p))),
  ]);
  const main = mains[0]!;
  // Assets of a page that arrived with the expected status, even if another expectation failed.
  const pageArrived = main.body !== undefined && main.failure?.reason !== 'http_status';
  const assets = check.assets !== false && pageArrived && isHtml(main) ? await fetchAssets(run, main) : undefined;

  result.phases = main.phases;
  const details: HttpDetails = { ...main.details };
  if (check.every_address) details.addresses = mains.map((o) => ({ address: o.label.replace(/^address /, ''), ...summary(o) }));
  if (busted) details.busted = summary(busted);
  if (profiles.length) details.profiles = Object.fromEntries(check.profiles.map((p, i) => [p.name, summary(profiles[i]!)]));
  if (assets) details.assets = assets.details;
  result.details = details;

  const all = [...mains, ...(busted ? [busted] : []), ...profiles, ...(assets?.outcomes ?? [])];
  result.assertions = all.flatMap((o) => o.assertions.map((a) => (o.label ? { ...a, name: `${o.label}: ${a.name}` } : a))).slice(0, 200);
  const failed = all.filter((o) => o.failure);
  if (failed.length) {
    const first = failed[0]!;
    const others = failed.slice(1).map((o) => o.label || 'the check URL');
    const more = others.length ? ` (also failing: ${others.slice(0, 3).join(', ')}${others.length > 3 ? ` and ${others.length - 3} more` : ''})` : '';
    const headline = busted && (first === main || first === busted) ? pairMessage(main, busted) : said(first);
    return fail(result, first.failure!.reason, `${headline}${more}`);
  }
  const slow = all.find((o) => o.degraded);
  if (slow) Object.assign(result, { degraded: true, message: `degraded: ${slow.label ? `${slow.label}: ` : ''}${slow.degraded}` });
  return result;
}

function said(o: Outcome): string {
  return o.label ? `${o.label}: ${o.failure!.message}` : o.failure!.message;
}

/** With `pair`, say which path broke: the edge (cached request) or the origin (busted request). */
function pairMessage(cached: Outcome, busted: Outcome): string {
  if (cached.failure && busted.failure) return `edge and origin paths both broken: ${said(cached)}`;
  if (cached.failure) return `edge path broken, origin path fine: ${said(cached)}`;
  return `origin path broken (the edge still serves from cache): ${said(busted)}`;
}

function summary(o: Outcome): HttpRequestSummary {
  return { ok: !o.failure, reason: o.failure?.reason ?? 'ok', ...(o.failure ? { message: o.failure.message } : {}), ...o.details, total: o.phases.total };
}

function headersFor(run: Run, acceptEncoding: readonly string[] | undefined, extra: Record<string, string>): Record<string, string> {
  const { probe } = run.ctx;
  // Probes name themselves so a vendor (or a lab target) can tell them apart; no secrets here.
  const headers: Record<string, string> = { 'user-agent': `vendorwatch/0.1 (probe ${probe.id}; region ${probe.region})` };
  if (acceptEncoding) headers['accept-encoding'] = acceptEncoding.join(', ');
  for (const [name, value] of Object.entries(extra)) headers[name.toLowerCase()] = value;
  return headers;
}

function checkRequest(run: Run): Request {
  const { check } = run;
  const url = new URL(check.url);
  return {
    label: '',
    url: check.bust ? bust(url) : url,
    method: check.method,
    headers: headersFor(run, check.accept_encoding, check.headers),
    body: check.body,
    expect: check.expect,
    maxBodyBytes: check.max_body_bytes,
  };
}

function profileRequest(run: Run, p: HttpProfile): Request {
  const { check } = run;
  const url = new URL(p.url, check.url);
  return {
    label: `profile ${p.name}`,
    url: p.bust ? bust(url) : url,
    method: p.method ?? check.method,
    headers: headersFor(run, p.accept_encoding ?? check.accept_encoding, { ...check.headers, ...p.headers }),
    body: check.body,
    expect: p.expect,
    maxBodyBytes: check.max_body_bytes,
  };
}

function bust(url: URL): URL {
  const busted = new URL(url);
  busted.searchParams.set(BUST_PARAM, randomUUID());
  return busted;
}

function isHtml(o: Outcome): boolean {
  return (
    /html/i.test(o.details.content_type ?? '') || (!o.details.content_type && /^\s*<(!doctype html|html)/i.test(o.body?.subarray(0, 200).toString() ?? ''))
  );
}

/** Requests one URL (with its redirects) and evaluates its expectations. Never throws. */
async function fetchOne(run: Run, req: Request): Promise<Outcome> {
  const { check, ctx } = run;
  const reuse = check.reuse_connection && req.label === '' && !req.pinnedAddress;
  let agent = reuse ? warmAgents.get(check.name) : undefined;
  agent ??= new TimedAgent(
    {
      siteHost: bareHost(new URL(check.url).hostname),
      connectTo: check.connect_to,
      pinnedAddress: req.pinnedAddress,
      resolver: check.resolver,
      http2: check.http2,
      ca: run.ca,
      insecure: check.tls.insecure,
      serverName: check.tls.server_name,
    },
    ctx.signal,
  );
  agent.signal = ctx.signal;
  if (reuse) warmAgents.set(check.name, agent);
  let outcome: Outcome | undefined;
  try {
    const ex = await exchange(
      {
        url: req.url,
        method: req.method,
        headers: req.headers,
        body: req.body,
        followRedirects: check.follow_redirects,
        maxBodyBytes: req.maxBodyBytes,
        timeoutMs: check.timeout,
      },
      agent,
      ctx.signal,
    );
    const details: HttpRequestDetails = { url: ex.url };
    const conn = ex.connection;
    if (conn?.address) details.address = conn.address;
    if (conn?.phase === 'open') Object.assign(details, { protocol: conn.protocol, reused_connection: ex.hops.at(-1)!.reused_connection });
    if (conn?.tlsInfo) details.tls = conn.tlsInfo;
    if (ex.hops.length > 1) details.hops = ex.hops;
    const res = ex.response;
    if (!res) return (outcome = { label: req.label, failure: ex.failure, phases: ex.phases, assertions: [], details });

    const cache = cacheStatus(res.headers, check.cache_headers);
    const cacheInfo = cacheability(res.status, res.headers);
    Object.assign(details, {
      status: res.status,
      bytes: res.bytes,
      ...(res.headers['content-type'] ? { content_type: res.headers['content-type'] } : {}),
      content_encoding: res.headers['content-encoding'] ?? 'identity',
      ...cache,
      ...cacheInfo,
      edge: identifyEdge(res.headers, ctx.vendors, check.pop_headers),
    });
    const verdict = assess(req.expect, { ...res, protocol: conn?.protocol, tls: conn?.tlsInfo, cache, cacheability: cacheInfo, phases: ex.phases });
    return (outcome = {
      label: req.label,
      failure: verdict.failure,
      degraded: verdict.degraded,
      phases: ex.phases,
      assertions: verdict.assertions,
      details,
      body: res.body,
      bodyComplete: res.bodyComplete,
    });
  } finally {
    // A failed run may have left the connection in any state: start the next one afresh.
    if (!reuse || !outcome || outcome.failure) {
      agent.close();
      if (reuse) warmAgents.delete(check.name);
    }
  }
}

/** The check URL once per address of its host (or of `connect_to`), in parallel. */
async function everyAddress(run: Run, page: Request): Promise<Outcome[]> {
  const { check, ctx } = run;
  const host = check.connect_to?.host ?? bareHost(page.url.hostname);
  const start = performance.now();
  const elapsed = () => Math.round((performance.now() - start) * 1000) / 1e6;
  let addresses: string[];
  try {
    addresses = (await resolveAll(host, check.resolver, ctx.signal)).slice(0, MAX_ADDRESSES);
  } catch (err) {
    const failure = describeFailure(err, { phase: 'dns', where: host, signal: ctx.signal, timeoutMs: check.timeout });
    return [{ label: '', failure, phases: { total: elapsed() }, assertions: [], details: { url: page.url.href } }];
  }
  const dns = elapsed();
  const outcomes = await Promise.all(addresses.map((address) => fetchOne(run, { ...page, label: `address ${address}`, pinnedAddress: address })));
  const first = outcomes[0]!;
  first.phases = { dns, ...first.phases, total: Math.round((dns + (first.phases.total ?? 0)) * 1e6) / 1e6 };
  return outcomes;
}

function assetAllowed(url: URL, page: URL, hosts: 'any' | string[] | undefined, vendorHosts: readonly string[]): boolean {
  if (hosts === 'any') return true;
  if (!hosts && url.host === page.host) return true;
  return (hosts ?? vendorHosts).some((p) => hostMatches(p, bareHost(url.hostname), url.port));
}

/** Fetches the page's child assets (bounded, a few at a time) on the hosts the check allows; stylesheets lead to theirs. */
async function fetchAssets(run: Run, page: Outcome): Promise<{ outcomes: Outcome[]; details: NonNullable<HttpDetails['assets']> }> {
  const { check, ctx } = run;
  // The HTML and CSS parsers load only for a page whose assets are fetched, not at every start.
  const { cssAssets, htmlAssets } = await import('./assets.ts');
  const opts =
    check.assets === true ? { max: 20, hosts: undefined, max_parse_bytes: ASSET_PARSE_BYTES } : (check.assets as Exclude<HttpCheck['assets'], boolean>);
  const vendorHosts = ctx.vendors.find((v) => v.name === check.vendor)?.hosts ?? [];
  const pageUrl = new URL(page.details.url);
  const headers = headersFor(run, check.accept_encoding, {});

  // Documents are read in the order they arrive until max_parse_bytes is spent; what is left is reported.
  let parseBudget = opts.max_parse_bytes;
  const unparsed: NonNullable<NonNullable<HttpDetails['assets']>['unparsed']> = [];
  const read = (doc: Outcome, discover: typeof htmlAssets): FoundAsset[] => {
    const body = doc.body ?? Buffer.alloc(0);
    const found = discover(body, doc.details.url, parseBudget, doc.bodyComplete);
    parseBudget -= body.length - found.unparsedBytes;
    if (found.unparsedBytes || !doc.bodyComplete) unparsed.push({ url: doc.details.url, ...(doc.bodyComplete ? { unparsed_bytes: found.unparsedBytes } : {}) });
    return found.assets;
  };

  const seen = new Set<string>();
  const chosen: FoundAsset[] = [];
  let otherHosts = 0;
  let overMax = 0;
  const take = (assets: FoundAsset[]) => {
    for (const asset of assets) {
      if (seen.has(asset.url)) continue;
      seen.add(asset.url);
      if (!assetAllowed(new URL(asset.url), pageUrl, opts.hosts, vendorHosts)) otherHosts++;
      else if (chosen.length >= opts.max) overMax++;
      else chosen.push(asset);
    }
  };
  take(read(page, htmlAssets));

  // In waves: the page's assets, then what their stylesheets reference, and so on (@import chains).
  const outcomes: Outcome[] = [];
  while (outcomes.length < chosen.length) {
    const wave = chosen.slice(outcomes.length);
    const fetched: Outcome[] = new Array(wave.length);
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < wave.length; i = next++) {
        const asset = wave[i]!;
        fetched[i] = await fetchOne(run, {
          label: `asset ${asset.url}`,
          url: new URL(asset.url),
          method: 'GET',
          headers,
          expect: ASSET_EXPECT,
          maxBodyBytes: asset.stylesheet ? parseBudget : 0,
        });
      }
    };
    await Promise.all(Array.from({ length: Math.min(ASSET_CONCURRENCY, wave.length) }, worker));
    outcomes.push(...fetched);
    wave.forEach((asset, i) => {
      if (asset.stylesheet && !fetched[i]!.failure) take(read(fetched[i]!, cssAssets));
    });
  }
  return {
    outcomes,
    details: {
      found: seen.size,
      other_hosts: otherHosts,
      over_max: overMax,
      ...(unparsed.length ? { unparsed } : {}),
      checked: outcomes.map((o, i) => ({
        url: chosen[i]!.url,
        source: chosen[i]!.source,
        ok: !o.failure,
        reason: o.failure?.reason ?? 'ok',
        status: o.details.status,
        total: o.phases.total,
      })),
    },
  };
}
