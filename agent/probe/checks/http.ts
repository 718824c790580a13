import { Agent, request } from 'undici';
import type { HttpCheck } from '../../../config/checks/http.ts';
import type { CheckResult } from '../../../config/result.ts';
import { fail, newResult, type CheckContext } from './check.ts';

/** Node and undici error codes, mapped to the bounded reason set. */
function reasonFor(err: unknown): { reason: Exclude<CheckResult['reason'], 'ok'>; message: string } {
  const e = err as { code?: string; name?: string; message?: string; cause?: { code?: string } };
  const code = e.code ?? e.cause?.code ?? '';
  const message = e.message ?? String(err);
  if (e.name === 'AbortError' || e.name === 'TimeoutError' || code === 'UND_ERR_ABORTED' || code === 'ABORT_ERR') return { reason: 'timeout', message: 'aborted at the check timeout' };
  if (code.startsWith('UND_ERR_') && code.includes('TIMEOUT')) return { reason: 'timeout', message };
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return { reason: 'dns', message };
  if (code === 'ECONNREFUSED' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return { reason: 'connect', message };
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_SOCKET') return { reason: 'reset', message };
  if (code.startsWith('ERR_TLS') || code.startsWith('CERT_') || code.includes('SSL')) return { reason: 'tls', message };
  return { reason: 'internal', message };
}

function statusAccepted(status: number, accepted: readonly (number | string)[]): boolean {
  return accepted.some((a) => {
    if (typeof a === 'number') return a === status;
    const [lo, hi] = a.split('-').map(Number) as [number, number];
    return status >= lo && status <= hi;
  });
}

/** A plain HTTP check: one request on a fresh connection, status and timings. */
export async function runHttpCheck(check: HttpCheck, ctx: CheckContext): Promise<CheckResult> {
  const t0 = performance.now();
  const result = newResult(check, ctx.probe);
  const seconds = () => (performance.now() - t0) / 1000;
  // A fresh connection per run, so every run sees connect (and TLS) like a new visitor.
  const dispatcher = new Agent({ connections: 1, pipelining: 0 });
  try {
    const res = await request(check.url, {
      method: check.method,
      // Probes name themselves so a vendor (or a lab target) can tell them apart; no secrets here.
      headers: { 'user-agent': `vendorwatch/0.1 (probe ${ctx.probe.id}; region ${ctx.probe.region})`, ...check.headers },
      body: check.body,
      signal: ctx.signal,
      dispatcher,
    });
    result.phases.ttfb = seconds();
    const body = await res.body.arrayBuffer();
    result.phases.total = seconds();
    result.phases.transfer = result.phases.total - result.phases.ttfb;
    result.details = { status: res.statusCode, bytes: body.byteLength };
    const ok = statusAccepted(res.statusCode, check.expect.status);
    result.assertions.push({ name: 'status', ok, expected: check.expect.status, actual: res.statusCode });
    return ok ? result : fail(result, 'http_status', `HTTP ${res.statusCode}, expected ${check.expect.status.join(' or ')}`);
  } catch (err) {
    result.phases.total = seconds();
    const { reason, message } = reasonFor(err);
    return fail(result, reason, message);
  } finally {
    dispatcher.destroy().catch(() => {});
  }
}
