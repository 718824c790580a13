/**
 * What vendors say about themselves (agent/collector/vendorStatus.ts), asked of a local HTTP
 * server playing the vendor's Statuspage: a good answer, and every way an answer can be useless.
 */
import { createServer, type Server } from 'node:http';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/load.ts';
import { fetchVendorStatus, statusJsonUrl, statusPageLink, VendorStatusPoller } from '../../agent/collector/vendorStatus.ts';
import { html } from '../../agent/collector/html.ts';

let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (req.url === '/good/api/v2/status.json') json(200, { page: { name: 'Good' }, status: { indicator: 'major', description: 'Partial System Outage' } });
    else if (req.url === '/error/api/v2/status.json') json(503, { error: 'down' });
    else if (req.url === '/html/api/v2/status.json') res.writeHead(200, { 'content-type': 'text/html' }).end('<html>status</html>');
    else if (req.url === '/odd/api/v2/status.json') json(200, { status: { indicator: 'purple', description: 'x' } });
    else if (req.url === '/huge/api/v2/status.json') res.writeHead(200).end('x'.repeat(200_000));
    // anything else hangs
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

describe('status page URLs', () => {
  it('fetches the .json as configured, or adds the Statuspage API path to a page URL', () => {
    expect(statusJsonUrl('https://status.example.com')).toBe('https://status.example.com/api/v2/status.json');
    expect(statusJsonUrl('https://example.com/status/')).toBe('https://example.com/status/api/v2/status.json');
    expect(statusJsonUrl('https://status.example.com/api/v2/status.json')).toBe('https://status.example.com/api/v2/status.json');
    expect(statusPageLink('https://status.example.com/api/v2/status.json')).toBe('https://status.example.com/');
    expect(statusPageLink('https://status.example.com')).toBe('https://status.example.com/');
  });
});

describe('fetchVendorStatus', () => {
  it('reads indicator and description', async () => {
    expect(await fetchVendorStatus(`${base}/good/`, 2000)).toEqual({ indicator: 'major', description: 'Partial System Outage' });
  });

  it.each([
    ['an HTTP error', '/error/', 'HTTP 503'],
    ['HTML', '/html/', 'answer is not JSON'],
    ['an unknown indicator', '/odd/', 'answer is not a Statuspage status (status.indicator, status.description)'],
    ['a huge body', '/huge/', 'answer larger than 65536 bytes'],
    ['no answer', '/hang/', 'no answer within 300 ms'],
  ])('refuses %s with a reason', async (_what, path, reason) => {
    await expect(fetchVendorStatus(`${base}${path}`, 300)).rejects.toThrow(reason);
  });
});

describe('VendorStatusPoller', () => {
  it('keeps the last answer beside the latest failure', async () => {
    let now = 1000;
    const config = parseConfig(`vendors: [{ name: good, status_page: "${base}/good/" }, { name: silent }]`, 't.yaml', {});
    const poller = new VendorStatusPoller(config.vendors, { everyMs: 60_000, timeoutMs: 300, logger: pino({ level: 'silent' }), now: () => now });
    expect(poller.get('silent')).toBeUndefined();
    expect(poller.get('good')).toEqual({ link: `${base}/good/` });
    await poller.poll();
    expect(poller.get('good')).toEqual({ link: `${base}/good/`, said: { indicator: 'major', description: 'Partial System Outage', at: 1000 } });
    // The vendor's page then stops answering.
    config.vendors[0]!.status_page = `${base}/hang/`;
    now = 2000;
    await poller.poll();
    expect(poller.get('good')).toEqual({
      link: `${base}/good/`,
      said: { indicator: 'major', description: 'Partial System Outage', at: 1000 },
      unreachable: { reason: 'no answer within 300 ms', at: 2000 },
    });
  });
});

describe('html', () => {
  it('escapes every interpolated value, nested ones too, and only those', () => {
    const evil = `"><script>alert('x')</script>&`;
    expect(html`<p title="${evil}">${[evil, html`<b>${evil}</b>`]}</p>`.text).toBe(
      '<p title="&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;">&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;' +
        '<b>&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;</b></p>',
    );
    expect(html`${null}${undefined}${false}${0}`.text).toBe('0');
  });
});
