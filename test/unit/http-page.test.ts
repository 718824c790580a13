import { describe, expect, it } from 'vitest';
import { childAssets } from '../../agent/probe/checks/http/assets.ts';
import { identifyEdge } from '../../agent/probe/checks/http/edge.ts';

describe('child assets of an HTML page', () => {
  it('finds scripts, stylesheets and images in document order, resolved and de-duplicated', () => {
    const html = `<!doctype html><html><head>
      <link rel="preconnect" href="https://cdn.example.net">
      <link rel="stylesheet" href="/css/site.css?v=1&amp;x=2">
      <LINK REL='alternate stylesheet' HREF='print.css'>
      <script>inline()</script>
      <script src="https://cdn.example.net/app.js#main" async></script>
      <!-- <script src="/commented-out.js"></script> -->
    </head><body>
      <img src=logo.png alt="logo"><img src="data:image/png;base64,AAAA"><img src="/css/site.css?v=1&x=2">
      <script src="javascript:void(0)"></script><script src="https://cdn.example.net/app.js"></script>
    </body></html>`;
    expect(childAssets(html, 'https://www.example.com/shop/index.html')).toEqual([
      'https://www.example.com/css/site.css?v=1&x=2',
      'https://www.example.com/shop/print.css',
      'https://cdn.example.net/app.js',
      'https://www.example.com/shop/logo.png',
    ]);
  });

  it('resolves against <base href>', () => {
    expect(childAssets('<base href="https://static.example.com/v2/"><script src="app.js"></script>', 'https://www.example.com/')).toEqual([
      'https://static.example.com/v2/app.js',
    ]);
  });

  it('finds nothing in a page without assets', () => {
    expect(childAssets('<p>hello</p>', 'https://www.example.com/')).toEqual([]);
  });
});

describe('edge identification', () => {
  it('recognises well-known CDNs and their POPs', () => {
    expect(identifyEdge({ 'cf-ray': '8c2a0e0e3f5b1234-FRA', server: 'cloudflare' }, [])).toEqual({ cdn: 'cloudflare', pop: 'FRA' });
    expect(identifyEdge({ 'x-amz-cf-pop': 'FRA56-P1', 'x-amz-cf-id': 'abc', via: '1.1 abc.cloudfront.net (CloudFront)' }, [])).toEqual({
      cdn: 'cloudfront',
      pop: 'FRA56',
    });
    expect(identifyEdge({ 'x-served-by': 'cache-lhr7361-LHR, cache-fra-eddf8230035-FRA', via: '1.1 varnish, 1.1 varnish' }, [])).toEqual({
      cdn: 'fastly',
      pop: 'FRA',
    });
    expect(identifyEdge({ 'x-vercel-id': 'fra1::iad1::abcd-1700000000000-1234' }, [])).toEqual({ cdn: 'vercel', pop: 'fra1' });
    expect(identifyEdge({ via: '1.1 varnish (Varnish/7.1)', 'x-varnish': '32770' }, [])).toEqual({ cdn: 'varnish' });
    expect(identifyEdge({ server: 'nginx' }, [])).toEqual({ cdn: 'unknown' });
  });

  it('prefers the vendor registry and configured POP headers', () => {
    const vendors = [
      { name: 'acme-cdn', hosts: [], identify: { header: 'Server-Timing', match: 'cdn;desc=acme' } },
      { name: 'other-cdn', hosts: [], identify: { header: 'server-timing', match: 'cdn;desc=other' } },
    ];
    const headers = { 'server-timing': 'cdn;desc=other, edge;dur=3', 'cf-ray': '8c2a-FRA', 'x-pop': 'edge-ams-3' };
    expect(identifyEdge(headers, vendors)).toEqual({ cdn: 'other-cdn', pop: 'FRA' });
    expect(identifyEdge(headers, vendors, [{ header: 'X-POP', pattern: 'edge-([a-z]+)' }])).toEqual({ cdn: 'other-cdn', pop: 'ams' });
    expect(identifyEdge(headers, vendors, [{ header: 'x-pop' }])).toEqual({ cdn: 'other-cdn', pop: 'edge-ams-3' });
  });

  it('keeps a POP safe to use as a label value', () => {
    const pop = identifyEdge({ 'x-pop': `ams"} evil{label="x ${'A'.repeat(100)}` }, [], [{ header: 'x-pop' }]).pop!;
    expect(pop).toMatch(/^[A-Za-z0-9_.-]{1,32}$/);
  });
});
