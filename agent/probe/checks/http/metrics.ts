/** An http check's own metrics, from its details: edge cache status, certificate expiry, the edge that answered. */
import { Counter, Gauge } from 'prom-client';
import { reportedDetails, type ResultOfKind } from '../../../../config/result.ts';
import { registry } from '../../../metrics.ts';

const httpCacheResponses = new Counter({
  name: 'vendorwatch_http_cache_responses_total',
  help: 'Responses to HTTP checks by edge cache status, normalised across vendors (hit, miss, stale, bypass, unknown).',
  labelNames: ['vendor', 'check', 'region', 'cache'] as const,
  registers: [registry],
});

const httpCertExpiry = new Gauge({
  name: 'vendorwatch_http_cert_expiry_timestamp_seconds',
  help: 'When the earliest-expiring certificate an HTTP check was last shown expires, as a Unix time in seconds.',
  labelNames: ['vendor', 'check', 'region', 'probe'] as const,
  registers: [registry],
});

const httpEdgeInfo = new Gauge({
  name: 'vendorwatch_http_edge_info',
  help: 'The CDN and edge location (POP) that served the last response to an HTTP check; always 1.',
  labelNames: ['vendor', 'check', 'region', 'probe', 'cdn', 'pop'] as const,
  registers: [registry],
});

/** The edge each check's series currently names, so a new edge replaces the old series instead of adding one. */
const currentEdge = new Map<string, { cdn: string; pop: string }>();

/** Records an HTTP check's cache status, certificate expiry and edge from its result's details. */
export function record(r: ResultOfKind<'http'>): void {
  const d = reportedDetails(r);
  if (!d) return;
  const where = { vendor: r.vendor, check: r.check, region: r.region };
  if (d.cache) httpCacheResponses.inc({ ...where, cache: d.cache });
  const notAfter = Date.parse(d.tls?.cert?.not_after ?? '');
  if (!Number.isNaN(notAfter)) httpCertExpiry.set({ ...where, probe: r.probe }, notAfter / 1000);
  if (d.edge) {
    const key = `${r.check}\u0000${r.probe}`;
    const edge = { cdn: d.edge.cdn, pop: d.edge.pop ?? '' };
    const previous = currentEdge.get(key);
    if (previous && (previous.cdn !== edge.cdn || previous.pop !== edge.pop)) httpEdgeInfo.remove({ ...where, probe: r.probe, ...previous });
    currentEdge.set(key, edge);
    httpEdgeInfo.set({ ...where, probe: r.probe, ...edge }, 1);
  }
}
