import { postJson } from '../../outbound.ts';
import type { Receiver } from './receiver.ts';
import { iso } from './receiver.ts';

/**
 * Alertmanager v2 (`POST /api/v2/alerts`). Firing alerts carry endsAt = now + 4 × the resend
 * interval and are re-sent every interval, like Prometheus does: if the collector dies, they
 * expire instead of firing forever. Resolved alerts carry their real endsAt.
 */
export function alertmanagerReceiver(baseUrl: string, resendMs: number): Receiver {
  const url = `${baseUrl.replace(/\/+$/, '')}/api/v2/alerts`;
  return {
    name: 'alertmanager',
    resends: true,
    async send(alerts, now, signal) {
      const body = alerts.map((a) => ({
        labels: a.labels,
        annotations: a.annotations,
        startsAt: iso(a.startsAt),
        endsAt: iso(a.endsAt ?? now + 4 * resendMs),
        ...(a.annotations.dashboard_url ? { generatorURL: a.annotations.dashboard_url } : {}),
      }));
      const res = await postJson(url, body, { signal });
      if (res.status >= 300) throw new Error(`Alertmanager answered ${res.status}: ${res.text}`);
    },
  };
}
