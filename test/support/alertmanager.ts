import { createServer, type Server } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, start, tempDir, waitFor, type Running } from './processes.ts';

/** An alert as Alertmanager's v2 API lists it. */
export interface AmAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  status: { state: string };
}

export interface Alertmanager extends Running {
  url: string;
  /** GET /api/v2/alerts: the alerts active now (resolved ones are gone). */
  alerts(): Promise<AmAlert[]>;
}

/**
 * A real Alertmanager (Debian prometheus-alertmanager) on a loopback port, clustering off,
 * notifying `webhookUrl` for every alert on its own (group_by: ['...']) at once, resolved
 * included, and repeating only after a day: each notification it sends is a new page.
 */
export async function startAlertmanager(webhookUrl: string): Promise<Alertmanager> {
  const dir = tempDir('vendorwatch-am-');
  const port = await freePort();
  writeFileSync(
    join(dir, 'alertmanager.yml'),
    `route:
  receiver: sink
  group_by: ['...']
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 24h
receivers:
  - name: sink
    webhook_configs:
      - url: ${JSON.stringify(webhookUrl)}
        send_resolved: true
`,
  );
  const proc = start('prometheus-alertmanager', [
    `--config.file=${join(dir, 'alertmanager.yml')}`,
    `--storage.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--cluster.listen-address=',
    '--log.level=warn',
  ]);
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${url}/-/ready`)).ok, { what: `Alertmanager ready\n${proc.output()}` });
  return {
    ...proc,
    url,
    async alerts() {
      return (await (await fetch(`${url}/api/v2/alerts`)).json()) as AmAlert[];
    },
  };
}

/** A tiny HTTP server that keeps every JSON body POSTed to it, by path, with when it arrived. */
export interface Sink {
  url: string;
  bodies(path: string): unknown[];
  /** The same bodies, each with its arrival time (ms since the epoch). */
  received(path: string): { at: number; body: unknown }[];
  close(): Promise<void>;
}

export async function startSink(): Promise<Sink> {
  const received = new Map<string, { at: number; body: unknown }[]>();
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      try {
        const path = req.url ?? '/';
        received.set(path, [...(received.get(path) ?? []), { at: Date.now(), body: JSON.parse(body) }]);
      } catch {
        // Not JSON: not something these tests send.
      }
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    bodies: (path) => (received.get(path) ?? []).map((r) => r.body),
    received: (path) => received.get(path) ?? [],
    close: () => new Promise((r) => server.close(() => r())),
  };
}
