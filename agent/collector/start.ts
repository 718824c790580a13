import type { Config } from '../../config/schema.ts';
import type { Logger } from '../log.ts';
import type { Routes } from '../server.ts';
import { alertmanagerReceiver } from './alerts/alertmanager.ts';
import type { Receiver } from './alerts/receiver.ts';
import { slackReceiver } from './alerts/slack.ts';
import { webhookReceiver } from './alerts/webhook.ts';
import { apiRoutes } from './api.ts';
import { Collector } from './collector.ts';
import { Ingest } from './ingest.ts';
import { Journal } from './journal.ts';

export interface RunningCollector {
  collector: Collector;
  ingest: Ingest;
  /** POST /v1/results and the read API, for the agent's HTTP server. */
  routes: Routes;
  stop(): Promise<void>;
}

/** The receivers configured under `alerts`. */
export function receiversFor(alerts: Config['alerts']): Receiver[] {
  const receivers: Receiver[] = [];
  if (alerts.alertmanager) receivers.push(alertmanagerReceiver(alerts.alertmanager.url, alerts.resend_interval));
  if (alerts.webhook) receivers.push(webhookReceiver(alerts.webhook.url));
  if (alerts.slack) receivers.push(slackReceiver(alerts.slack.url));
  return receivers;
}

/** A collector with its journal restored, evaluating on a timer. */
export function startCollector(config: Config, logger: Logger): RunningCollector {
  const journal = new Journal(config.collector.journal, logger);
  const collector = new Collector({ config, logger, journal, receivers: receiversFor(config.alerts) });
  const token = config.collector.token || process.env.VENDORWATCH_TOKEN || undefined;
  const ingest = new Ingest(collector, { token, maxBodyBytes: config.collector.max_body_bytes });
  collector.start();
  return { collector, ingest, routes: { ...ingest.routes(), ...apiRoutes(collector) }, stop: () => collector.stop() };
}
