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
import { HourlyResults, hourlyPath } from './hourlyResults.ts';
import { incidentRoutes } from './incidentRoutes.ts';
import { IncidentRuns, runsPath } from './incidentRuns.ts';
import { Journal } from './journal.ts';
import { RumHours, rumHourlyPath } from './rum/hourly.ts';
import { RealUserImpact } from './rum/impact.ts';
import { RecentRum } from './rum/summary.ts';
import { StatusHistory } from './statusHistory.ts';
import { statusPageRoutes } from './statusPage.ts';
import { VendorStatusPoller } from './vendorStatus.ts';

export interface RunningCollector {
  collector: Collector;
  ingest: Ingest;
  /** Real-user impact windows: the beacon routes feed them (rum/routes.ts), the collector reads them. */
  realUsers: RealUserImpact;
  /** POST /v1/results, the read API and the status page, for the agent's HTTP server. */
  routes: Routes;
  /** The hourly RUM rollup, for the beacon routes to count into. */
  rumHours: RumHours;
  stop(): Promise<void>;
}

/** The receivers configured under `alerts`. */
function receiversFor(alerts: Config['alerts']): Receiver[] {
  const receivers: Receiver[] = [];
  if (alerts.alertmanager) receivers.push(alertmanagerReceiver(alerts.alertmanager.url, alerts.resend_interval));
  if (alerts.webhook) receivers.push(webhookReceiver(alerts.webhook.url));
  if (alerts.slack) receivers.push(slackReceiver(alerts.slack.url));
  return receivers;
}

/** A collector with its journal restored, evaluating on a timer. */
export function startCollector(config: Config, logger: Logger): RunningCollector {
  const journal = new Journal(config.collector.journal, logger);
  const hourly = new HourlyResults(hourlyPath(config.collector.journal), logger);
  const runs = new IncidentRuns(runsPath(config.collector.journal), logger);
  const realUsers = new RealUserImpact(config);
  const collector = new Collector({ config, logger, journal, hourly, runs, realUsers, receivers: receiversFor(config.alerts) });
  const token = config.collector.token || process.env.VENDORWATCH_TOKEN || undefined;
  const ingest = new Ingest(collector, { token, config: config.collector, logger });
  const { status_page } = config.collector;
  const vendorStatus = new VendorStatusPoller(config.vendors, {
    everyMs: status_page.vendor_status_every,
    timeoutMs: status_page.vendor_status_timeout,
    logger,
    onFetched: (vendor, says) =>
      runs.vendorSaid(vendor, {
        at: says.unreachable?.at ?? says.said?.at ?? Date.now(),
        ...(says.said ? { indicator: says.said.indicator, description: says.said.description } : {}),
        ...(says.unreachable ? { unreachable: says.unreachable.reason } : {}),
      }),
  });
  const rum = new RecentRum();
  const rumHours = new RumHours(config, rumHourlyPath(config.collector.journal), logger);
  collector.start();
  hourly.start();
  vendorStatus.start();
  rum.start();
  rumHours.start();
  return {
    collector,
    ingest,
    rumHours,
    realUsers,
    routes: {
      ...ingest.routes(),
      ...apiRoutes(collector),
      ...incidentRoutes({ config, collector, ingest, runs, logger }),
      ...statusPageRoutes({ config, history: new StatusHistory(config, hourly, logger), collector, vendorStatus, rum }),
    },
    stop: async () => {
      rum.stop();
      await vendorStatus.stop();
      await collector.stop();
      hourly.stop();
      rumHours.stop();
    },
  };
}
