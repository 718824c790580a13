/**
 * One failing run as an evidence pack shows it to a vendor's support desk: when, where, how it
 * failed, and what the vendor's edge said about itself (address, POP, cache status, NSID), as
 * the probe measured it. Sanitized when taken: URLs lose their query string, URLs on hosts
 * other than the check's become "<url>", and anything shaped like a credential
 * (`Bearer …`, `token=…`, `key=…`) is redacted. Header values are never kept.
 */
import { z } from 'zod';
import { reportedDetails, type CheckResult } from '../../config/result.ts';
import { phaseSchema, reasonSchema } from '../../config/terms.ts';
import type { Check } from '../../config/schema.ts';
import { failedPhase } from './alerts/alert.ts';

export const failedRunSchema = z.object({
  /** The result's id (dedupes a run seen twice). */
  id: z.string(),
  at: z.number(),
  check: z.string(),
  region: z.string(),
  probe: z.string(),
  ok: z.boolean(),
  degraded: z.boolean(),
  reason: reasonSchema,
  /** The phase it stopped in (alert.ts failedPhase), or `slow`. */
  phase: z.string(),
  message: z.string(),
  phases: z.partialRecord(phaseSchema, z.number()),
  url: z.string().optional(),
  status: z.number().optional(),
  /** The edge address the probe connected to. */
  address: z.string().optional(),
  pop: z.string().optional(),
  cdn: z.string().optional(),
  cache: z.string().optional(),
  /** DNS checks: the nameservers that failed, as asked. */
  nameservers: z
    .array(z.object({ nameserver: z.string(), address: z.string().optional(), nsid: z.string().optional(), rcode: z.string().optional(), message: z.string() }))
    .optional(),
});
export type FailedRun = z.infer<typeof failedRunSchema>;

/** The hosts a check targets: the vendor's, the only ones an evidence pack names. */
export function checkHosts(check: Check): string[] {
  const hosts = new Set<string>();
  if ('url' in check && typeof check.url === 'string') hosts.add(new URL(check.url).hostname);
  if (check.kind === 'dns' && Array.isArray(check.nameservers)) for (const ns of check.nameservers) hosts.add(typeof ns === 'string' ? ns : ns.server);
  return [...hosts];
}

const CREDENTIAL = /\b(bearer|basic)\s+[\w.~+/=-]+|\b(token|access_token|api_key|apikey|key|secret|password|signature|sig|auth)=[^\s&"']+/gi;
const URL_TEXT = /\bhttps?:\/\/[^\s"'<>]+/gi;

/** A URL as a pack shows it: on the check's hosts, without query or fragment; elsewhere, "<url>". */
export function safeUrl(text: string, hosts: readonly string[]): string {
  try {
    const url = new URL(text);
    if (!hosts.includes(url.hostname)) return '<url>';
    return `${url.protocol}//${url.host}${url.pathname}`;
  } catch {
    return '<url>';
  }
}

/** Free text (an error message) with URLs made safe and credentials redacted, at most 300 characters. */
export function safeText(text: string, hosts: readonly string[]): string {
  return text
    .replace(URL_TEXT, (u) => safeUrl(u, hosts))
    .replace(CREDENTIAL, (m, scheme: string | undefined, name: string | undefined) => (scheme ? `${scheme} <redacted>` : `${name}=<redacted>`))
    .slice(0, 300);
}

/** A failing (or slow) result as kept for its incident's evidence. */
export function failedRun(result: CheckResult, check: Check): FailedRun {
  const hosts = checkHosts(check);
  const base: FailedRun = {
    id: result.id,
    at: result.startedAt,
    check: result.check,
    region: result.region,
    probe: result.probe,
    ok: result.ok,
    degraded: result.degraded,
    reason: result.reason,
    phase: result.ok ? 'slow' : failedPhase(result),
    message: safeText(result.message, hosts),
    phases: result.phases,
  };
  if (result.kind === 'http') {
    const d = reportedDetails(result);
    if (d?.url) base.url = safeUrl(d.url, hosts);
    if (d?.status !== undefined) base.status = d.status;
    if (d?.address) base.address = d.address;
    if (d?.edge?.pop) base.pop = d.edge.pop.slice(0, 100);
    if (d?.edge?.cdn) base.cdn = d.edge.cdn.slice(0, 100);
    if (d?.cache) base.cache = d.cache;
  }
  if (result.kind === 'dns') {
    const failed = (reportedDetails(result)?.nameservers ?? []).filter((n) => !n.ok || n.degraded);
    if (failed.length) {
      base.nameservers = failed.slice(0, 10).map((n) => ({
        nameserver: n.nameserver,
        ...(n.address ? { address: n.address } : {}),
        ...(n.nsid ? { nsid: n.nsid.slice(0, 100) } : {}),
        ...(n.rcode ? { rcode: n.rcode } : {}),
        message: safeText(n.message, hosts),
      }));
    }
  }
  return base;
}
