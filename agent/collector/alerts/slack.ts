import { postJson } from '../../outbound.ts';
import type { Alert } from './alert.ts';
import type { Receiver } from './receiver.ts';
import { statusOf } from './receiver.ts';

const ICON: Record<string, string> = { page: ':red_circle:', ticket: ':large_orange_circle:' };

/** One alert as Slack mrkdwn: a bold status line, the summary, the votes and the links. */
function slackText(a: Alert): string {
  const resolved = statusOf(a) === 'resolved';
  const who = a.labels.vendor ?? a.labels.probe ?? '';
  const head = `${resolved ? ':white_check_mark: *RESOLVED*' : `${ICON[a.labels.severity ?? ''] ?? ''} *${(a.labels.severity ?? '').toUpperCase()}*`} ${a.labels.alertname} — *${who}*${a.labels.regions ? ` (${a.labels.regions})` : ''}`;
  const votes = a.annotations.votes ? `\n\`\`\`${a.annotations.votes}\`\`\`` : '';
  const links = [
    a.annotations.runbook_url ? `<${a.annotations.runbook_url}|runbook>` : '',
    a.annotations.dashboard_url ? `<${a.annotations.dashboard_url}|dashboard>` : '',
    a.annotations.vendor_status_url ? `<${a.annotations.vendor_status_url}|vendor status>` : '',
  ].filter(Boolean);
  // A periodic update on a long incident (incidentUpdates.ts) leads with what changed.
  const update = !resolved && a.annotations.update ? `\n*${a.annotations.update}*` : '';
  return `${head}${update}\n${a.annotations.summary ?? ''}${resolved ? '' : votes}${links.length ? `\n${links.join(' · ')}` : ''}`;
}

/** A Slack-compatible incoming webhook (Slack, Mattermost, Rocket.Chat): {"text": "..."}. */
export function slackReceiver(url: string): Receiver {
  return {
    name: 'slack',
    resends: false,
    async send(alerts, _now, signal) {
      const res = await postJson(url, { text: alerts.map(slackText).join('\n\n') }, { signal });
      if (res.status >= 300) throw new Error(`Slack webhook answered ${res.status}: ${res.text}`);
    },
  };
}
