import type { Logger } from '../../log.ts';
import { backoffDelay, sleep } from '../../outbound.ts';
import { alertDeliveries } from '../metrics.ts';
import { alertKey, resolvedAlert, type Alert } from './alert.ts';
import type { Receiver } from './receiver.ts';

/**
 * Annotations whose change is news to Alertmanager (an outage spreading, easing, escalating;
 * probes and real users coming to agree or parting); votes and page view counts change all the time.
 */
const UPDATES = ['state', 'regions', 'worst_state', 'regions_affected', 'incidents', 'sources'];
/** Attempts per delivery before it is dropped (and counted): about four minutes of retries. */
const MAX_ATTEMPTS = 8;
/** Deliveries waiting per receiver before the oldest is dropped (a receiver down for days). */
const MAX_QUEUED = 1000;

/**
 * Keeps the set of active alerts and tells every receiver about changes: an alert fires when
 * it appears in the desired set and resolves (endsAt, and a summary of what happened) when it
 * leaves it. An alert already active only takes the new annotations: nobody is told again. Receivers that need
 * it (Alertmanager) also get every active alert again every `resendMs`. Deliveries are retried
 * with backoff, counted, and never throw into the collector.
 */
export class AlertDispatcher {
  private readonly active = new Map<string, Alert>();
  private readonly queues: DeliveryQueue[];
  private lastResend = Number.NEGATIVE_INFINITY;

  constructor(
    receivers: readonly Receiver[],
    private readonly opts: { resendMs: number; logger: Logger; random?: () => number },
  ) {
    this.queues = receivers.map((r) => new DeliveryQueue(r, opts.logger, opts.random ?? Math.random));
  }

  /** Alerts active before a restart: they are kept without telling anyone again. */
  restore(alerts: readonly Alert[]): void {
    for (const a of alerts) this.active.set(alertKey(a.labels), a);
  }

  activeAlerts(): Alert[] {
    return [...this.active.values()];
  }

  /** Makes the active set equal to `desired`; answers what fired and what resolved. */
  reconcile(desired: readonly Alert[], now: number): { fired: Alert[]; resolved: Alert[] } {
    const wanted = new Map(desired.map((a) => [alertKey(a.labels), a]));
    const fired: Alert[] = [];
    const resolved: Alert[] = [];
    const updated: Alert[] = [];
    for (const [key, alert] of wanted) {
      const current = this.active.get(key);
      // An alert keeps its startsAt; only its annotations follow the latest evidence.
      if (current) {
        const next = { ...alert, startsAt: current.startsAt };
        this.active.set(key, next);
        if (UPDATES.some((a) => current.annotations[a] !== next.annotations[a])) updated.push(next);
      } else {
        const firing = { ...alert, startsAt: Math.min(alert.startsAt, now) };
        this.active.set(key, firing);
        fired.push(firing);
      }
    }
    for (const [key, alert] of this.active) {
      if (wanted.has(key)) continue;
      this.active.delete(key);
      resolved.push(resolvedAlert(alert, now));
    }
    const changes = [...resolved, ...fired];
    for (const q of this.queues) {
      const news = q.receiver.resends ? [...changes, ...updated] : changes;
      if (news.length) q.push(news);
    }
    return { fired, resolved };
  }

  /**
   * Tells people's channels (receivers that do not keep alerts) about active alerts again: an
   * incident's periodic update. Alertmanager gets the update in the annotations it is re-sent;
   * its own repeat_interval decides whether anyone is notified again.
   */
  notify(alerts: readonly Alert[]): void {
    if (!alerts.length) return;
    for (const q of this.queues) if (!q.receiver.resends) q.push(alerts);
  }

  /** Re-sends active alerts to receivers that forget them, every resend interval. */
  tick(now: number): void {
    if (now - this.lastResend < this.opts.resendMs) return;
    this.lastResend = now;
    const alerts = this.activeAlerts();
    if (!alerts.length) return;
    for (const q of this.queues) if (q.receiver.resends) q.push(alerts);
  }

  /** Waits up to `deadlineMs` for queued deliveries, then abandons the rest. */
  async stop(deadlineMs: number): Promise<void> {
    await Promise.all(this.queues.map((q) => q.stop(deadlineMs)));
  }
}

/** One receiver's deliveries, in order (a resolve never overtakes its firing). */
class DeliveryQueue {
  private readonly jobs: (readonly Alert[])[] = [];
  private draining: Promise<void> | undefined;
  private readonly stopping = new AbortController();

  constructor(
    readonly receiver: Receiver,
    private readonly logger: Logger,
    private readonly random: () => number,
  ) {}

  push(alerts: readonly Alert[]): void {
    if (this.stopping.signal.aborted) return;
    this.jobs.push(alerts);
    if (this.jobs.length > MAX_QUEUED) {
      this.jobs.shift();
      alertDeliveries.inc({ receiver: this.receiver.name, result: 'dropped' });
    }
    this.draining ??= this.drain().finally(() => (this.draining = undefined));
  }

  async stop(deadlineMs: number): Promise<void> {
    const deadline = sleep(deadlineMs);
    await Promise.race([this.draining ?? Promise.resolve(), deadline]);
    this.stopping.abort();
    await this.draining;
  }

  private async drain(): Promise<void> {
    for (let job = this.jobs[0]; job; job = this.jobs[0]) {
      await this.deliver(job);
      this.jobs.shift();
    }
  }

  private async deliver(alerts: readonly Alert[]): Promise<void> {
    const name = this.receiver.name;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      if (this.stopping.signal.aborted) break;
      try {
        await this.receiver.send(alerts, Date.now(), this.stopping.signal);
        alertDeliveries.inc({ receiver: name, result: 'delivered' });
        return;
      } catch (err) {
        alertDeliveries.inc({ receiver: name, result: 'failed' });
        this.logger.warn({ err: (err as Error).message, receiver: name, attempt: attempt + 1, alerts: alerts.length }, 'alert delivery failed; will retry');
        await sleep(backoffDelay(attempt, 1000, 60_000, this.random), this.stopping.signal);
      }
    }
    alertDeliveries.inc({ receiver: name, result: 'dropped' });
    this.logger.error({ receiver: name, alerts: alerts.map((a) => a.labels) }, 'alert delivery given up');
  }
}
