/**
 * The agent's HTTP server against clients that hold on: half-open connections are closed after
 * the header timeout, connections beyond the cap are dropped and counted, and a request whose
 * body the server will not read is answered with `Connection: close` before it hangs up.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../agent/log.ts';
import { readBody, serverLimits, startServer, type RunningServer } from '../../agent/server.ts';
import { beaconRoutes } from '../../agent/collector/rum/routes.ts';
import { configSchema } from '../../config/schema.ts';
import { scrape, sum } from '../support/exposition.ts';
import { waitFor } from '../support/processes.ts';

const logger = createLogger('silent');
const SITE = 'https://www.example.com';
const config = configSchema.parse({ vendors: [{ name: 'acme-cdn' }], rum: { origins: [SITE], rate_limit: 10_000 } });

let server: RunningServer;
const sockets: Socket[] = [];

beforeAll(async () => {
  server = await startServer({
    listen: '127.0.0.1:0',
    logger,
    routes: {
      ...beaconRoutes(config, logger),
      // A push-like route: reads at most 1 KB of body.
      'POST /small': async (req, res) => {
        await readBody(req, 1024);
        res.writeHead(204).end();
      },
    },
  });
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await server?.close();
});

/** A raw connection, and everything the server says on it until it hangs up. */
function openConnection(): Promise<{ socket: Socket; received: () => string; closed: () => boolean }> {
  const { port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1');
    sockets.push(socket);
    let text = '';
    let closed = false;
    socket.on('data', (d) => (text += d.toString()));
    socket.on('close', () => (closed = true));
    socket.on('error', () => {});
    socket.once('connect', () => resolve({ socket, received: () => text, closed: () => closed }));
    socket.once('error', reject);
  });
}

/** Headers declaring a large body, then only its first bytes: a client still uploading. */
const bigUpload = (path: string, headers = '') =>
  `POST ${path} HTTP/1.1\r\nhost: x\r\ncontent-type: text/plain\r\norigin: ${SITE}\r\n${headers}content-length: 2000000\r\n\r\n${' '.repeat(1000)}`;

describe('agent HTTP server limits', () => {
  it('answers a refused oversized body with Connection: close, then closes the connection', async () => {
    for (const path of ['/small', '/v1/beacon']) {
      const c = await openConnection();
      c.socket.write(bigUpload(path));
      await waitFor(() => c.closed(), { timeoutMs: 10_000, what: `${path}: the server closes the connection` });
      expect(c.received(), path).toMatch(/^HTTP\/1\.1 413 /);
      expect(c.received().toLowerCase(), path).toContain('connection: close');
    }
  });

  it('a chunked upload cut off past the limit is answered the same way', async () => {
    const c = await openConnection();
    c.socket.write(`POST /small HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n800\r\n${'x'.repeat(0x800)}\r\n`);
    await waitFor(() => c.closed(), { timeoutMs: 10_000, what: 'the server closes the connection' });
    expect(c.received()).toMatch(/^HTTP\/1\.1 413 /);
    expect(c.received().toLowerCase()).toContain('connection: close');
  });

  it('closes a connection that never sends its request headers', async () => {
    const c = await openConnection();
    c.socket.write('GET /healthz HTTP/1.1\r\nhost: x\r\n'); // and never the blank line
    await waitFor(() => c.closed(), { timeoutMs: serverLimits.HEADERS_TIMEOUT_MS + 20_000, what: 'the server closes the half-open connection' });
    expect(c.received()).toMatch(/^HTTP\/1\.1 408 /);
  }, 60_000);

  it(`holds at most ${serverLimits.MAX_CONNECTIONS} connections, dropping and counting the rest, and still serves once they go`, async () => {
    const before = sum(await scrape(server.url), 'vendorwatch_http_connections_dropped_total');
    // The scrape's keep-alive connection is one of them.
    const open = await new Promise<number>((resolve) => server.server.getConnections((_e, n) => resolve(n)));
    const held = await Promise.all(Array.from({ length: serverLimits.MAX_CONNECTIONS - open }, openConnection));
    // The server counts a connection once it accepts it; wait until all are in.
    await waitFor(() => new Promise<boolean>((resolve) => server.server.getConnections((_e, n) => resolve(n >= serverLimits.MAX_CONNECTIONS))), {
      timeoutMs: 20_000,
      what: 'the server holds every connection',
    });
    const extra = await openConnection();
    await waitFor(() => extra.closed(), { timeoutMs: 10_000, what: 'the connection over the cap is closed' });
    for (const c of held) c.socket.destroy();
    await waitFor(() => new Promise<boolean>((resolve) => server.server.getConnections((_e, n) => resolve(n < 10))), {
      timeoutMs: 20_000,
      what: 'the held connections are gone',
    });
    expect(sum(await scrape(server.url), 'vendorwatch_http_connections_dropped_total')).toBe(before + 1);
    expect((await fetch(`${server.url}/healthz`)).ok).toBe(true);
  }, 60_000);

  it('sets its timeouts', () => {
    expect(server.server.headersTimeout).toBe(serverLimits.HEADERS_TIMEOUT_MS);
    expect(server.server.requestTimeout).toBe(serverLimits.REQUEST_TIMEOUT_MS);
    expect(server.server.keepAliveTimeout).toBe(serverLimits.KEEP_ALIVE_TIMEOUT_MS);
    expect(server.server.timeout).toBe(serverLimits.IDLE_TIMEOUT_MS);
  });
});
