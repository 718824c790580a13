import type { Alert } from './alert.ts';

/** Somewhere alerts go. `send` throws when delivery failed (the dispatcher retries). */
export interface Receiver {
  /** A metric label: alertmanager, webhook or slack. */
  name: string;
  /**
   * Alertmanager keeps alerts itself: it is re-sent every active alert before it would expire,
   * and told when an alert's state or regions change (it notifies on its own schedule). The
   * others are people's channels: they hear when an alert fires and when it resolves.
   */
  resends: boolean;
  send(alerts: readonly Alert[], now: number, signal: AbortSignal): Promise<void>;
}

export const iso = (ms: number) => new Date(ms).toISOString();

/** The status an alert is in, for receivers that name it. */
export const statusOf = (a: Alert) => (a.endsAt === undefined ? 'firing' : 'resolved');
