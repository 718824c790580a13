/**
 * A small shop for browser-check tests and the demo: sign in → product → cart → checkout, where
 * the checkout page loads a payment vendor's script and calls its API on another port (so the
 * vendor registry can tell them apart). The payment vendor's faults switch at runtime:
 * `slow` (answers after slowMs), `failing` (HTTP 502), `hang` (never answers).
 *
 * Besides charges the payment vendor has the two APIs a merchant depends on beyond delivery:
 *   GET /v1/account/settings  its configuration API (setApiFaults({ settings: 'down' }) → 503)
 *   GET /v1/reports/latest    its reporting API: `generated_at` is now, until
 *                             setApiFaults({ reports: 'stale' }) freezes it (still 200: only a
 *                             freshness assertion notices)
 *   GET /api/v2/status.json   its own Statuspage-style status: always "All Systems Operational"
 * and `probeFaults` fails it for chosen probes or regions only.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { ProbeFaults } from './probe-faults.ts';

type PaymentFault = 'none' | 'slow' | 'failing' | 'hang';
interface PaymentApiFaults {
  settings?: 'ok' | 'down';
  reports?: 'fresh' | 'stale';
}

export interface Shop {
  /** The shop, e.g. http://127.0.0.1:41234 */
  url: string;
  /** The payment vendor ("payco"), on another port. */
  paymentUrl: string;
  setFault(fault: PaymentFault): void;
  setApiFaults(faults: PaymentApiFaults): void;
  /** Faults of the payment vendor for some probes or regions only. */
  probeFaults: ProbeFaults;
  close(): Promise<void>;
}

interface ShopOptions {
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  paymentPort?: number;
  /** How long the `slow` payment vendor takes to answer a charge. */
  slowMs?: number;
  /** Load the stylesheet and logo from this CDN (a lab/cdn-origin.ts behind an edge) instead of the shop. */
  cdn?: string;
  /** Put the vendorwatch beacon tag, loaded from and reporting to this collector, on every page. */
  beacon?: string;
}

/** The lab shop accepts this user and password. */
const SHOP_LOGIN = { user: 'demo', password: 'demo' } as const;

const MAX_SESSIONS = 1000;

function pageHtml(title: string, body: string, opts: Pick<ShopOptions, 'cdn' | 'beacon'>): string {
  const [css, logo] = opts.cdn ? [`${opts.cdn}/static/style.css`, `${opts.cdn}/static/logo.png`] : ['/static/shop.css', '/static/logo.svg'];
  const beacon = opts.beacon ? `\n<script src="${opts.beacon}/beacon.js" data-collector="${opts.beacon}" async></script>` : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title} · Lab shop</title>
<link rel="stylesheet" href="${css}">${beacon}</head>
<body><header><img src="${logo}" alt="Lab shop" width="120" height="32"></header><main>${body}</main></body></html>`;
}

function send(res: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...headers });
  res.end(body);
}

function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
      if (body.length > 10_000) req.destroy(new Error('body too large'));
    });
    req.on('end', () => resolve(new URLSearchParams(body)));
    req.on('error', reject);
  });
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as { port: number }).port));
  });
}

function shut(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

export async function startShop(opts: ShopOptions = {}): Promise<Shop> {
  const host = opts.host ?? '127.0.0.1';
  const slowMs = opts.slowMs ?? 2500;
  let fault: PaymentFault = 'none';
  let settingsDown = false;
  let reportsFrozenAt: number | undefined;
  const probeFaults = new ProbeFaults();
  const page = (title: string, body: string) => pageHtml(title, body, opts);
  const sessions = new Map<string, { cart: number }>();
  const orders = new Set<string>();

  const payment = createServer((req, res) => {
    const cors = { 'access-control-allow-origin': '*', 'timing-allow-origin': '*' };
    if (probeFaults.intercept(req, res, 'payco')) return;
    if (req.url === '/v1/account/settings' && req.method === 'GET') {
      if (settingsDown) return send(res, 503, 'application/json', '{"error":"dashboard maintenance"}');
      return send(res, 200, 'application/json', JSON.stringify({ account: 'acct_demo', capture: 'automatic', webhooks: ['https://shop.example/hooks/payco'] }));
    }
    if (req.url === '/api/v2/status.json' && req.method === 'GET') {
      // Like many vendors' status pages, it says all is well whatever happens.
      return send(res, 200, 'application/json', JSON.stringify({ status: { indicator: 'none', description: 'All Systems Operational' } }));
    }
    if (req.url === '/v1/reports/latest' && req.method === 'GET') {
      const at = new Date(reportsFrozenAt ?? Date.now()).toISOString();
      return send(res, 200, 'application/json', JSON.stringify({ generated_at: at, settled: { count: 42, amount: 50400, currency: 'EUR' } }));
    }
    if (req.url === '/v1/payco.js') {
      const api = `${paymentUrl}/v1/charges`;
      return send(
        res,
        200,
        'text/javascript',
        `window.Payco = { charge: (amount) => fetch(${JSON.stringify(api)}, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ amount }) }) };`,
        cors,
      );
    }
    if (req.url === '/v1/charges' && req.method === 'OPTIONS') {
      return send(res, 204, 'text/plain', '', { ...cors, 'access-control-allow-methods': 'POST', 'access-control-allow-headers': 'content-type' });
    }
    if (req.url === '/v1/charges' && req.method === 'POST') {
      const answer = () => send(res, 201, 'application/json', JSON.stringify({ id: `ch_${randomUUID().slice(0, 8)}` }), cors);
      if (fault === 'hang') return;
      if (fault === 'failing') return send(res, 502, 'application/json', '{"error":"upstream acquirer unavailable"}', cors);
      if (fault === 'slow') return void setTimeout(answer, slowMs);
      return answer();
    }
    send(res, 404, 'text/plain', 'not found', cors);
  });

  const shop = createServer((req, res) => {
    handle(req, res).catch(() => send(res, 400, 'text/plain', 'bad request'));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://shop').pathname;
    const session = /(?:^|;\s*)session=([\w-]+)/.exec(req.headers.cookie ?? '')?.[1];
    const cart = session ? sessions.get(session) : undefined;
    const redirect = (to: string, headers: Record<string, string> = {}) => send(res, 303, 'text/plain', '', { location: to, ...headers });

    if (path === '/favicon.ico') return send(res, 204, 'image/x-icon', '');
    if (path === '/static/shop.css') return send(res, 200, 'text/css', 'body{font-family:sans-serif;margin:2rem}main{max-width:40rem}[role=alert]{color:#b00}');
    if (path === '/static/logo.svg') {
      return send(
        res,
        200,
        'image/svg+xml',
        '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="32"><text x="0" y="24" font-size="24">Lab shop</text></svg>',
      );
    }
    if (path === '/' && req.method === 'GET') {
      return send(
        res,
        200,
        'text/html',
        page(
          'Sign in',
          `<h1>Sign in</h1><form method="post" action="/login">
<p><label>User <input name="user" autocomplete="username"></label></p>
<p><label>Password <input name="password" type="password" autocomplete="current-password"></label></p>
<button>Sign in</button></form>`,
        ),
      );
    }
    if (path === '/login' && req.method === 'POST') {
      const form = await readForm(req);
      if (form.get('user') !== SHOP_LOGIN.user || form.get('password') !== SHOP_LOGIN.password) {
        return send(res, 401, 'text/html', page('Sign in', '<h1>Sign in</h1><p role="alert">Wrong user or password</p>'));
      }
      const id = randomUUID();
      sessions.set(id, { cart: 0 });
      if (sessions.size > MAX_SESSIONS) sessions.delete(sessions.keys().next().value!);
      return redirect('/products/espresso', { 'set-cookie': `session=${id}; Path=/; HttpOnly; SameSite=Lax` });
    }
    if (!cart) return redirect('/');
    if (path === '/products/espresso' && req.method === 'GET') {
      return send(
        res,
        200,
        'text/html',
        page(
          'Espresso beans',
          `<h1>Espresso beans</h1><p>1 kg, 12.00 EUR</p>
<form method="post" action="/cart"><button>Add to cart</button></form>`,
        ),
      );
    }
    if (path === '/cart' && req.method === 'POST') {
      cart.cart++;
      return redirect('/cart');
    }
    if (path === '/cart' && req.method === 'GET') {
      return send(res, 200, 'text/html', page('Cart', `<h1>Your cart</h1><p>${cart.cart} × Espresso beans</p><a href="/checkout">Checkout</a>`));
    }
    if (path === '/checkout' && req.method === 'GET') {
      return send(
        res,
        200,
        'text/html',
        page(
          'Checkout',
          `<h1>Checkout</h1><p>Total: ${(cart.cart * 12).toFixed(2)} EUR</p>
<button id="pay">Pay</button><p role="alert" id="error" hidden></p>
<script src="${paymentUrl}/v1/payco.js"></script>
<script>
document.getElementById('pay').addEventListener('click', async () => {
  const error = document.getElementById('error');
  try {
    const charge = await Payco.charge(${cart.cart * 1200});
    if (!charge.ok) throw new Error('HTTP ' + charge.status);
    const order = await fetch('/orders', { method: 'POST', body: (await charge.json()).id }).then((r) => r.json());
    location.href = '/orders/' + order.id;
  } catch (err) {
    error.textContent = 'Payment failed (' + err.message + ')';
    error.hidden = false;
  }
});
</script>`,
        ),
      );
    }
    if (path === '/orders' && req.method === 'POST') {
      const id = randomUUID().slice(0, 8);
      orders.add(id);
      if (orders.size > MAX_SESSIONS) orders.delete(orders.values().next().value!);
      cart.cart = 0;
      return send(res, 201, 'application/json', JSON.stringify({ id }));
    }
    const order = /^\/orders\/([\w-]+)$/.exec(path)?.[1];
    if (order && orders.has(order) && req.method === 'GET') {
      return send(res, 200, 'text/html', page('Thank you', `<h1>Thank you</h1><p>Order ${order} is on its way.</p>`));
    }
    send(res, 404, 'text/html', page('Not found', '<h1>Not found</h1>'));
  }

  const paymentPort = await listen(payment, host, opts.paymentPort ?? 0);
  const hostInUrl = host.includes(':') ? `[${host}]` : host;
  const paymentUrl = `http://${hostInUrl}:${paymentPort}`;
  const shopPort = await listen(shop, host, opts.port ?? 0);
  return {
    url: `http://${hostInUrl}:${shopPort}`,
    paymentUrl,
    setFault: (f) => {
      fault = f;
    },
    setApiFaults: (f) => {
      if (f.settings) settingsDown = f.settings === 'down';
      if (f.reports) reportsFrozenAt = f.reports === 'stale' ? (reportsFrozenAt ?? Date.now()) : undefined;
    },
    probeFaults,
    close: async () => {
      await Promise.all([shut(shop), shut(payment)]);
    },
  };
}
