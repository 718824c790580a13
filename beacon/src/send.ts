/**
 * Getting a page view's beacon to the collector. fetch with keepalive survives the page going
 * away and, unlike sendBeacon, shows the answer, so a collector shedding load (429/503) is heard.
 * The body is text/plain, which keeps the request "simple": no CORS preflight. Gzip is told by its
 * magic bytes, not a Content-Encoding header, which would need a preflight.
 */
import type { Beacon } from '../../config/beacon.ts';

/** Browsers cap the bodies of a page's in-flight keepalive requests at 64 KiB together. */
export const MAX_BODY_CHARS = 60_000;

/** The beacon as JSON within the limit: per-entry samples go first, then the resources. */
export function encodeBeacon(beacon: Beacon, max = MAX_BODY_CHARS): string | undefined {
  let json = JSON.stringify(beacon);
  if (json.length > max) {
    beacon.truncated = true;
    for (const r of Object.values(beacon.resources)) r.samples = [];
    json = JSON.stringify(beacon);
  }
  if (json.length > max) {
    beacon.resources = {};
    json = JSON.stringify(beacon);
  }
  return json.length > max ? undefined : json;
}

function gzip(text: string): Promise<ArrayBuffer> {
  return new Response(new Blob([text]).stream().pipeThrough(new CompressionStream('gzip'))).arrayBuffer();
}

interface Sender {
  /** Sends a body, gzipped first unless `now` or the browser cannot. */
  send(body: string, now: boolean): void;
  /** The page is going away: what is still being compressed goes uncompressed, now. */
  flush(): void;
}

export function createSender(url: string): Sender {
  let backoff = false;
  const compressing = new Set<string>();

  const post = (body: string | ArrayBuffer) => {
    const fallback = () => navigator.sendBeacon?.(url, new Blob([body], { type: 'text/plain' }));
    try {
      fetch(url, {
        method: 'POST',
        body,
        keepalive: true,
        credentials: 'omit',
        referrerPolicy: 'no-referrer',
        headers: { 'content-type': 'text/plain' },
      }).then((res) => {
        if (res.status === 429 || res.status === 503) backoff = true;
      }, fallback); // the collector drops a page view it has already counted
    } catch {
      fallback();
    }
  };

  return {
    send(body, now) {
      if (backoff) return;
      if (now || typeof CompressionStream !== 'function') return post(body);
      compressing.add(body);
      const done = (compressed: string | ArrayBuffer) => compressing.delete(body) && post(compressed);
      gzip(body).then(done, () => done(body));
    },
    flush() {
      for (const body of compressing) post(body);
      compressing.clear();
    },
  };
}
