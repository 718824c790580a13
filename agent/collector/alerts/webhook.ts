import { postJson } from '../../outbound.ts';
import type { Receiver } from './receiver.ts';
import { iso, statusOf } from './receiver.ts';

/**
 * A generic JSON webhook: one POST per batch of changes, shaped like Alertmanager's own
 * webhook so existing consumers read it:
 *   { "version": "1", "source": "vendorwatch", "alerts": [
 *       { "status": "firing" | "resolved", "labels": {...}, "annotations": {...},
 *         "startsAt": "<ISO>", "endsAt": "<ISO>" | null } ] }
 */
export function webhookReceiver(url: string): Receiver {
  return {
    name: 'webhook',
    resends: false,
    async send(alerts, _now, signal) {
      const body = {
        version: '1',
        source: 'vendorwatch',
        alerts: alerts.map((a) => ({
          status: statusOf(a),
          labels: a.labels,
          annotations: a.annotations,
          startsAt: iso(a.startsAt),
          endsAt: a.endsAt === undefined ? null : iso(a.endsAt),
        })),
      };
      const res = await postJson(url, body, { signal });
      if (res.status >= 300) throw new Error(`webhook answered ${res.status}: ${res.text}`);
    },
  };
}
