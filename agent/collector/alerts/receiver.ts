import type { Alert } from './alert.ts';

/** Somewhere alerts go. `send` throws when delivery failed (the dispatcher retries). */
export interface Receiver {
  /** A metric label: alertmanager, webhook or slack. */
  name: string;
  /** Alertmanager forgets alerts that are not re-sent; the others only hear about changes. */
  resends: boolean;
  send(alerts: readonly Alert[], now: number, signal: AbortSignal): Promise<void>;
}

export const iso = (ms: number) => new Date(ms).toISOString();

/** The status an alert is in, for receivers that name it. */
export const statusOf = (a: Alert) => (a.endsAt === undefined ? 'firing' : 'resolved');
