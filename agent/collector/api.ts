/**
 * The collector's read API (JSON; times are ms since the epoch):
 *   GET /v1/vendors    every vendor: state, since, conditions, regions, flapping, evidence, real-user impact, links, support
 *   GET /v1/incidents  incidents, newest first; ?vendor=NAME, ?open=true, ?limit=N (default 100)
 *   GET /v1/probes     every probe: region, health (up | down | unhealthy), last seen, clock skew
 *   GET /v1/alerts     alerts active right now, as sent to receivers
 */
import { HttpError, sendJson, type Routes } from '../server.ts';
import { vendorSupport } from './alerts/alert.ts';
import type { Collector } from './collector.ts';

export function apiRoutes(collector: Collector): Routes {
  return {
    'GET /v1/vendors': (_req, res) => {
      const vendors = collector.vendorStatuses().map(({ vendor, status }) => ({
        name: vendor.name,
        kind: vendor.kind,
        state: status?.state ?? 'unknown',
        since: status?.since ?? null,
        conditions: status?.conditions ?? [],
        regions: status?.regions ?? {},
        flapping: status?.flapping ?? null,
        lastKnown: status ? { state: status.lastKnown.state, regions: status.lastKnown.regions, since: status.lastKnown.since } : null,
        evidence: status?.evidence ?? [],
        // Per region over rum.users_impacted.window: page views, affected ones, share, p75 (s); null without beacon data.
        realUsers: status?.realUsers ?? null,
        runbook: vendor.runbook ?? null,
        dashboard: vendor.dashboard ?? null,
        status_page: vendor.status_page ?? null,
        support: vendorSupport(vendor),
      }));
      sendJson(res, 200, { generatedAt: Date.now(), ready: Date.now() >= collector.readyAt, vendors });
    },
    'GET /v1/incidents': (_req, res, url) => {
      const limit = Number(url.searchParams.get('limit') ?? 100);
      if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new HttpError(400, 'limit must be an integer from 1 to 10000');
      const vendor = url.searchParams.get('vendor');
      const open = url.searchParams.get('open') === 'true';
      const incidents = collector
        .incidents()
        .filter((i) => (!vendor || i.vendor === vendor) && (!open || i.end === null))
        .slice(0, limit);
      sendJson(res, 200, { incidents });
    },
    'GET /v1/probes': (_req, res) => {
      const probes = collector.probes().map(([id, p]) => ({
        id,
        region: p.region,
        health: p.health,
        since: p.since,
        lastSeen: p.lastSeen,
        disagrees: p.disagrees,
        // Seconds behind the collector (negative: ahead); null until measured (clockSkew.ts).
        clockSkew: p.clock?.skewMs === undefined ? null : p.clock.skewMs / 1000,
        clockSkewed: p.clock?.overSince !== undefined,
      }));
      sendJson(res, 200, { probes });
    },
    'GET /v1/alerts': (_req, res) => sendJson(res, 200, { alerts: collector.activeAlerts() }),
  };
}
