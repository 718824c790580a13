/** Outbound HTTP (probe pushes, alert deliveries): a JSON POST with a timeout, and the pacing of retries. */
import { request } from 'undici';

/** Exponential backoff with jitter: attempt 0 waits about baseMs, each next one twice as long, capped. */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** attempt);
  // "Equal jitter": half fixed, half random, so retries from many probes spread out but never hammer.
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** Resolves after ms, or early (without throwing) when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** POSTs a JSON body; answers the status and (at most 2 KB of) the response text. Network errors throw. */
export async function postJson(
  url: string,
  body: unknown,
  opts: { headers?: Record<string, string>; timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<{ status: number; text: string }> {
  // One controller per request (not AbortSignal.any on a long-lived signal: that leaks on Node 20).
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(new DOMException('request timed out', 'TimeoutError')), opts.timeoutMs ?? 10_000);
  const onStop = () => abort.abort(opts.signal?.reason);
  opts.signal?.addEventListener('abort', onStop, { once: true });
  if (opts.signal?.aborted) onStop();
  try {
    const res = await request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...opts.headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
      signal: abort.signal,
    });
    const text = (await res.body.text()).slice(0, 2048);
    return { status: res.statusCode, text };
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onStop);
  }
}
