/** What every lab server returns: where it listens and how to stop it. */
import { createServer, type Server, type Socket } from 'node:net';

export interface LabServer {
  /** Base URL, e.g. "http://127.0.0.1:8081" (no trailing slash). */
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface LabServerOptions {
  /** Loopback address to listen on (default 127.0.0.1). */
  host?: string;
  /** Port to listen on (default: any free port). */
  port?: number;
}

/** Listens on a loopback address and returns a handle whose close() also ends open connections. */
export async function listen(server: Server, opts: LabServerOptions, scheme: 'http' | 'https'): Promise<LabServer> {
  const host = opts.host ?? '127.0.0.1';
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as { port: number };
  return {
    url: `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}

/** A TCP port free right now on `host` (for processes that must be told theirs). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
