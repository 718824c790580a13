/**
 * Faults a real CDN edge will not produce on demand, for the lab and the tests.
 *
 * startFaultServer (HTTP):
 *   /ok                    200 "ok"
 *   /reset                 reads the request, then resets the connection (TCP RST)
 *   /hang                  reads the request, never answers
 *   /trickle               200, then one body byte every 200 ms, forever
 *   /garbage               reads the request, answers bytes that are not HTTP, and hangs up
 *   /bad-chunk             200 with a chunked body whose chunk size is not hex
 *   /delay/N               200 "ok" after holding the response headers N ms (N ≤ 60000): a slow origin
 *   /status/NNN            answers with status NNN
 *   /redirect/N            N redirects, then /ok
 *   /loop                  redirects to /loop-back, which redirects to /loop
 *   /redirect-to?url=U     redirects to U
 *   /headers               the request headers, as JSON
 *   /page?fail=500|reset|hang
 *                          HTML page with two good assets and one that fails that way
 *   /asset/ok.js, /asset/ok.css, /asset/fail-500.js, /asset/fail-reset.js, /asset/fail-hang.js
 *
 * startSilentServer (TCP): accepts connections and never says a word (a TLS handshake or an
 * HTTP request to it hangs).
 */
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { listen, type LabServer, type LabServerOptions } from './server.ts';

const page = (fail: string) => `<!doctype html><html><head>
<script src="/asset/ok.js"></script><link rel="stylesheet" href="/asset/ok.css">
<script src="/asset/fail-${fail}.js"></script>
</head><body>faulty page</body></html>`;

function handle(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://faults');
  const path = url.pathname;
  const send = (status: number, body: string, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'text/plain', ...headers });
    res.end(body);
  };
  const redirect = (to: string) => send(302, '', { location: to });
  let m: RegExpExecArray | null;

  if (path === '/ok' || path === '/asset/ok.js' || path === '/asset/ok.css') return send(200, 'ok\n');
  if (path === '/reset' || path === '/asset/fail-reset.js') return void req.socket.resetAndDestroy();
  if (path === '/hang' || path === '/asset/fail-hang.js') return;
  if (path === '/garbage') return void req.socket.end('garbage\r\n\r\n');
  if (path === '/bad-chunk') return void req.socket.end('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n');
  if (path === '/asset/fail-500.js') return send(500, 'internal error\n');
  if (path === '/trickle') {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '1000000' });
    const timer = setInterval(() => res.write('.'), 200);
    res.once('close', () => clearInterval(timer));
    return;
  }
  if ((m = /^\/delay\/(\d{1,5})$/.exec(path)) && Number(m[1]) <= 60_000) {
    const timer = setTimeout(() => send(200, 'ok\n'), Number(m[1]));
    res.once('close', () => clearTimeout(timer));
    return;
  }
  if ((m = /^\/status\/([1-5]\d\d)$/.exec(path))) return send(Number(m[1]), `status ${m[1]}\n`);
  if ((m = /^\/redirect\/(\d+)$/.exec(path))) return redirect(Number(m[1]) > 1 ? `/redirect/${Number(m[1]) - 1}` : '/ok');
  if (path === '/redirect-to') return redirect(url.searchParams.get('url') ?? '/ok');
  if (path === '/headers') return send(200, JSON.stringify(req.headers), { 'content-type': 'application/json' });
  if (path === '/loop') return redirect('/loop-back');
  if (path === '/loop-back') return redirect('/loop');
  if (path === '/page') return send(200, page(url.searchParams.get('fail') ?? '500'), { 'content-type': 'text/html' });
  send(404, 'not found\n');
}

export function startFaultServer(opts: LabServerOptions = {}): Promise<LabServer> {
  return listen(createHttpServer(handle), opts, 'http');
}

export function startSilentServer(opts: LabServerOptions = {}): Promise<LabServer> {
  return listen(
    createTcpServer(() => {}),
    opts,
    'http',
  );
}
