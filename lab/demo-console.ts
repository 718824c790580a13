/**
 * What the demo prints: one line per vendor state change and probe health change (read from the
 * collector's API, as any dashboard would), one per alert the collector sends to the console's
 * webhook receiver, and the script's own narration. Every line starts with the local time.
 *
 *   14:02:11  edgeco      operational → regional_outage  eu-west  2 of 2 probes fail edge-home …
 *   14:02:11  ALERT firing    VendorOutage  edgeco has a REGIONAL OUTAGE in eu-west: …
 *   14:02:40  probe eu-2  up → unhealthy  eu-west  fails checks of edgeco, payco …
 */
import { createServer, type Server } from 'node:http';
import { z } from 'zod';
import { alertSchema, evidenceSentence, realUsersLine, rowsBehind } from '../agent/collector/alerts/alert.ts';
import { isProblem, vendorStatusSchema, type VendorState } from '../agent/collector/state.ts';
import { readBody } from '../agent/server.ts';

const useColor = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code: number) => (text: string) => (useColor ? `\x1b[${code}m${text}\x1b[0m` : text);
export const bold = paint(1);
export const dim = paint(2);
const red = paint(31);
const green = paint(32);
const yellow = paint(33);
const cyan = paint(36);

const STATE_COLOR: Record<VendorState, (s: string) => string> = {
  hard_down: red,
  regional_outage: red,
  degraded: yellow,
  users_impacted: yellow,
  api_down: yellow,
  limited_visibility: yellow,
  operational: green,
  unknown: dim,
};

const clock = () => new Date().toTimeString().slice(0, 8);

/** Prints one line, prefixed with the time. */
export function say(text: string): void {
  process.stdout.write(`${dim(clock())}  ${text}\n`);
}

// --- the collector's read API ---

const vendorViewSchema = vendorStatusSchema
  .pick({ state: true, conditions: true, evidence: true })
  .extend({ name: z.string(), realUsers: vendorStatusSchema.shape.realUsers.nullable() });
type VendorView = z.infer<typeof vendorViewSchema>;
const vendorsSchema = z.object({ ready: z.boolean(), vendors: z.array(vendorViewSchema) });

const probeViewSchema = z.object({
  id: z.string(),
  region: z.string(),
  health: z.enum(['up', 'down', 'unhealthy']),
  disagrees: z.object({ vendors: z.array(z.string()) }),
});
type ProbeView = z.infer<typeof probeViewSchema>;
const probesSchema = z.object({ probes: z.array(probeViewSchema) });

/** What the collector says right now. */
export interface Snapshot {
  vendors: Map<string, VendorView>;
  probes: Map<string, ProbeView>;
}

/** Why a vendor is in a state, from the votes behind it: "2 of 2 probes fail edge-home in the response (http_status): …". */
function because(v: VendorView): string {
  const top = v.conditions[0];
  if (!top || top.state === 'operational' || top.state === 'unknown') return '';
  if (top.state === 'users_impacted') return realUsersLine(v.name, v.realUsers ?? undefined, top.regions);
  return evidenceSentence(top.state, rowsBehind(top.state, top.regions, v.evidence));
}

/** Polls the collector's /v1/vendors and /v1/probes and prints every change; `latest` is what it saw last. */
export class CollectorWatch {
  latest: Snapshot = { vendors: new Map(), probes: new Map() };
  private timer: NodeJS.Timeout | undefined;
  private polling = false;

  constructor(private readonly url: string) {}

  start(everyMs = 500): void {
    this.timer = setInterval(() => void this.poll(), everyMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const [vendors, probes] = await Promise.all([this.get('/v1/vendors', vendorsSchema), this.get('/v1/probes', probesSchema)]);
      if (!vendors.ready) return;
      const next: Snapshot = { vendors: new Map(vendors.vendors.map((v) => [v.name, v])), probes: new Map(probes.probes.map((p) => [p.id, p])) };
      this.report(next);
      this.latest = next;
    } catch {
      // The collector is starting or stopping; the next poll tries again.
    } finally {
      this.polling = false;
    }
  }

  private async get<T>(path: string, schema: z.ZodType<T>): Promise<T> {
    const res = await fetch(`${this.url}${path}`, { signal: AbortSignal.timeout(2000) });
    return schema.parse(await res.json());
  }

  private report(next: Snapshot): void {
    const width = Math.max(10, ...[...next.vendors.keys()].map((n) => n.length));
    for (const v of next.vendors.values()) {
      const prev = this.latest.vendors.get(v.name);
      const before = prev?.state ?? 'unknown';
      const regions = isProblem(v.state) ? (v.conditions[0]?.regions.join(',') ?? '') : '';
      const name = bold(v.name.padEnd(width));
      if (before !== v.state) {
        say(`${name}  ${STATE_COLOR[before](before)} → ${STATE_COLOR[v.state](v.state)}  ${regions}  ${dim(because(v))}`.trimEnd());
      } else if (regions !== (prev?.conditions[0]?.regions.join(',') ?? '') && isProblem(v.state)) {
        say(`${name}  ${STATE_COLOR[v.state](v.state)} now in ${regions}`);
      }
      // Real users joining (or leaving) what the probes see, when that is not the state itself.
      const users = v.conditions.find((c) => c.state === 'users_impacted');
      const usersBefore = prev?.conditions.find((c) => c.state === 'users_impacted');
      if (users && !usersBefore && v.state !== 'users_impacted') {
        say(
          `${name}  ${STATE_COLOR.users_impacted('users_impacted')} too in ${users.regions.join(',')}  ${dim(realUsersLine(v.name, v.realUsers ?? undefined, users.regions))}`,
        );
      }
    }
    for (const p of next.probes.values()) {
      const before = this.latest.probes.get(p.id)?.health;
      if (before === p.health || (before === undefined && p.health === 'up')) continue;
      const why = p.health === 'unhealthy' ? `fails checks of ${p.disagrees.vendors.join(', ')} that every other probe passes; its votes are ignored` : '';
      const color = p.health === 'up' ? green : p.health === 'down' ? red : yellow;
      say(`${bold(`probe ${p.id}`.padEnd(width))}  ${before ?? 'new'} → ${color(p.health)}  ${p.region}  ${dim(why)}`.trimEnd());
    }
  }
}

// --- the console's alert receiver (the collector's `alerts.webhook`) ---

const webhookSchema = z.object({
  alerts: z.array(alertSchema.pick({ labels: true, annotations: true }).extend({ status: z.enum(['firing', 'resolved']) })),
});

type Notified = z.infer<typeof webhookSchema>['alerts'][number];
const whom = (a: Notified) => a.labels.vendor ?? `probe ${a.labels.probe}`;

/** One notification the console received: what a person on call would have got. */
export interface Notification {
  status: Notified['status'];
  alertname: string;
  severity: string;
  who: string;
}

export interface AlertReceiver {
  server: Server;
  /** Every notification received so far, firing and resolved, in order. */
  notifications: Notification[];
}

/** "2 pages (VendorOutage edgeco, VendorOutage payco), 5 tickets (…), 7 resolved" */
export function notificationCount(notes: readonly Notification[]): string {
  const firing = (severity: string) => notes.filter((n) => n.status === 'firing' && n.severity === severity);
  const list = (ns: Notification[], one: string) =>
    `${ns.length} ${one}${ns.length === 1 ? '' : 's'}${ns.length ? ` (${ns.map((n) => `${n.alertname} ${n.who}`).join(', ')})` : ''}`;
  return `${list(firing('page'), 'page')}, ${list(firing('ticket'), 'ticket')}, ${notes.filter((n) => n.status === 'resolved').length} resolved`;
}

/** Prints each alert the collector sends: its name and summary, which says what happened once it resolved. */
function printAlerts(alerts: readonly Notified[]): void {
  for (const a of alerts) {
    const status = a.status === 'firing' ? red('firing  ') : green('resolved');
    say(`${bold('ALERT')} ${status}  ${cyan(a.labels.alertname ?? '?')}  ${a.annotations.summary ?? ''}`);
    if (a.status === 'firing' && a.annotations.real_users) say(dim(`   ${a.annotations.real_users}; ${a.annotations.sources}`));
  }
}

/** The webhook receiver the demo config sends alerts to; it prints and counts them. */
export function alertReceiver(): AlertReceiver {
  const receiver: AlertReceiver = {
    notifications: [],
    server: createServer((req, res) => {
      readBody(req, 1_048_576)
        .then((body) => {
          const { alerts } = webhookSchema.parse(JSON.parse(body.toString('utf8')));
          for (const a of alerts) {
            receiver.notifications.push({ status: a.status, alertname: a.labels.alertname ?? '?', severity: a.labels.severity ?? '?', who: whom(a) });
          }
          printAlerts(alerts);
          res.writeHead(204).end();
        })
        .catch((err: Error) => {
          res.writeHead(400, { 'content-type': 'text/plain' }).end(`${err.message}\n`);
        });
    }),
  };
  return receiver;
}
