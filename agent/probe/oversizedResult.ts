/**
 * Cutting down a CheckResult too large to push on its own (a browser check with a hundred failed
 * requests on long URLs can make 700 KB): it is shrunk, never lost. Its identity, verdict, reason
 * and timings stay whole; its message, assertion values and details are cut ever shorter until it
 * fits. Every cut string ends in "… [cut N bytes]", every cut list in "… [cut N items]", and
 * `details.truncated` says how large the result was, so a reader knows it is not all there.
 */
import type { CheckResult } from '../../config/result.ts';

/** Longest strings and lists kept, tried in order until the result fits. */
const CUTS = [
  { chars: 1000, items: 50 },
  { chars: 200, items: 10 },
  { chars: 50, items: 3 },
] as const;
type Cut = (typeof CUTS)[number];

/** The result as one JSON line of at most maxBytes (or as small as it gets: identity, verdict, a short message). */
export function shrinkResult(result: CheckResult, maxBytes: number): string {
  // A result shrunk once already (then refused again as too large) keeps its first size.
  const truncated = 'truncated' in result.details ? result.details.truncated : { bytes: Buffer.byteLength(JSON.stringify(result)) };
  for (const cut of CUTS) {
    const line = JSON.stringify({
      ...result,
      message: cutString(result.message, cut.chars),
      // Assertions stay a list of assertions (the collector checks their shape); only their values are cut.
      assertions: result.assertions.map((a) => ({
        ...a,
        name: cutString(a.name, cut.chars),
        expected: cutValue(a.expected, cut),
        actual: cutValue(a.actual, cut),
      })),
      details: { ...(cutValue(result.details, cut) as CheckResult['details']), truncated },
    });
    if (Buffer.byteLength(line) <= maxBytes) return line;
  }
  return JSON.stringify({ ...result, message: cutString(result.message, CUTS.at(-1)!.chars), assertions: [], details: { truncated } });
}

// A result can be shrunk again (a collector refused it even so): the markers of the last cut are
// read back, so the counts stay true and a cut that changes nothing leaves the result as it was.
const cutBytesMarker = /… \[cut (\d+) bytes\]$/;
const cutItemsMarker = /^… \[cut (\d+) items\]$/;

function cutValue(value: unknown, cut: Cut): unknown {
  if (typeof value === 'string') return cutString(value, cut.chars);
  if (Array.isArray(value)) {
    const marker = cutItemsMarker.exec(String(value.at(-1)));
    const items = marker ? value.slice(0, -1) : value;
    const cutBefore = Number(marker?.[1] ?? 0);
    const kept = items.slice(0, cut.items).map((v) => cutValue(v, cut));
    const cutNow = cutBefore + items.length - kept.length;
    return cutNow ? [...kept, `… [cut ${cutNow} items]`] : kept;
  }
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, cutValue(v, cut)]));
  return value;
}

function cutString(s: string, chars: number): string {
  const marker = cutBytesMarker.exec(s);
  const text = marker ? s.slice(0, marker.index) : s;
  if (text.length <= chars) return s;
  const kept = text.slice(0, chars);
  return `${kept}… [cut ${Number(marker?.[1] ?? 0) + Buffer.byteLength(text) - Buffer.byteLength(kept)} bytes]`;
}
