import { describe, expect, it } from 'vitest';
import { cssAssets, htmlAssets, srcsetUrls, type Discovery } from '../../agent/probe/checks/http/assets.ts';
import { identifyEdge } from '../../agent/probe/checks/http/edge.ts';

const urls = (d: Discovery) => d.assets.map((a) => a.url);
const all = (d: Discovery) => d.assets.map((a) => [a.source, a.url]);
const html = (text: string, url = 'https://www.example.com/shop/index.html', maxBytes = 1 << 20) => htmlAssets(Buffer.from(text), url, maxBytes);

describe('child assets of an HTML page', () => {
  it('finds scripts, stylesheets, images, preloads and icons in document order, resolved and de-duplicated', () => {
    const page = `<!doctype html><html><head>
      <meta charset="utf-8"><title>Shop</title>
      <link rel="preconnect" href="https://cdn.example.net">
      <link rel="dns-prefetch" href="//fonts.example.net">
      <link rel="stylesheet" href="/css/site.css?v=1&amp;x=2">
      <LINK REL='alternate stylesheet' HREF='print.css'>
      <link rel="preload" href="/fonts/inter.woff2" as="font" type="font/woff2" crossorigin>
      <link rel="preload" href="/css/late.css" as="style">
      <link rel="modulepreload" href="/js/chunk-3f2a.js">
      <link rel="shortcut icon" href="/favicon.ico">
      <link rel="icon" type="image/svg+xml" href="/icon.svg">
      <link rel="manifest" href="/site.webmanifest">
      <link rel="alternate" hreflang="de" href="https://www.example.de/">
      <script>document.write('<img src="/written-by-script.png">')</script>
      <script src="https://cdn.example.net/app.js#main" async></script>
      <!-- <script src="/commented-out.js"></script> -->
    </head><body>
      <img src=logo.png alt="logo"><img src="data:image/png;base64,AAAA"><img src="/css/site.css?v=1&x=2">
      <a href="/cart">a link is not an asset</a>
      <noscript><img src="/pixel.gif"></noscript>
      <template><img src="/templated.png"></template>
      <video poster="/media/poster.jpg"><source src="/media/clip.mp4" type="video/mp4"></video>
      <script src="javascript:void(0)"></script><script src="https://cdn.example.net/app.js"></script>
    </body></html>`;
    expect(all(html(page))).toEqual([
      ['stylesheet', 'https://www.example.com/css/site.css?v=1&x=2'],
      ['stylesheet', 'https://www.example.com/shop/print.css'],
      ['preload', 'https://www.example.com/fonts/inter.woff2'],
      ['preload', 'https://www.example.com/css/late.css'],
      ['modulepreload', 'https://www.example.com/js/chunk-3f2a.js'],
      ['icon', 'https://www.example.com/favicon.ico'],
      ['icon', 'https://www.example.com/icon.svg'],
      ['script', 'https://cdn.example.net/app.js'],
      ['image', 'https://www.example.com/shop/logo.png'],
      ['image', 'https://www.example.com/media/poster.jpg'],
      ['image', 'https://www.example.com/media/clip.mp4'],
    ]);
    // Stylesheets (and preloaded styles) are marked to be read for their own assets.
    expect(
      html(page)
        .assets.filter((a) => a.stylesheet)
        .map((a) => a.url),
    ).toEqual(['https://www.example.com/css/site.css?v=1&x=2', 'https://www.example.com/shop/print.css', 'https://www.example.com/css/late.css']);
  });

  it('takes every candidate of srcset and imagesrcset, descriptors and commas inside URLs included', () => {
    const page = `<picture>
        <source type="image/avif" srcset="/img/hero-480.avif 480w, /img/hero-960.avif 960w">
        <source srcset="https://img.example.net/c_fill,w_480/hero.jpg 1x,https://img.example.net/c_fill,w_960/hero.jpg 2x">
        <img src="/img/hero.jpg" srcset="/img/hero-1x.jpg, /img/hero-2x.jpg 2x" sizes="(max-width: 600px) 480px, 800px" alt="">
      </picture>
      <link rel="preload" as="image" href="/img/lcp.jpg" imagesrcset="/img/lcp-640.jpg 640w, /img/lcp-1280.jpg 1280w" imagesizes="100vw">`;
    expect(all(html(page, 'https://www.example.com/'))).toEqual([
      ['srcset', 'https://www.example.com/img/hero-480.avif'],
      ['srcset', 'https://www.example.com/img/hero-960.avif'],
      ['srcset', 'https://img.example.net/c_fill,w_480/hero.jpg'],
      ['srcset', 'https://img.example.net/c_fill,w_960/hero.jpg'],
      ['image', 'https://www.example.com/img/hero.jpg'],
      ['srcset', 'https://www.example.com/img/hero-1x.jpg'],
      ['srcset', 'https://www.example.com/img/hero-2x.jpg'],
      ['preload', 'https://www.example.com/img/lcp.jpg'],
      ['srcset', 'https://www.example.com/img/lcp-640.jpg'],
      ['srcset', 'https://www.example.com/img/lcp-1280.jpg'],
    ]);
    expect(srcsetUrls('a.jpg 1x, b.jpg (max-width: 1px, odd) 2x,c.jpg,,  d.jpg')).toEqual(['a.jpg', 'b.jpg', 'c.jpg', 'd.jpg']);
  });

  it('reads url() and @import in <style> and style="" as a browser would', () => {
    const page = `<html><head><style>
        @import url("/css/theme.css") screen;
        @import '/css/print.css' print;
        @font-face { font-family: Inter; src: url(/fonts/inter.woff2) format("woff2"), url('/fonts/inter.woff') format("woff"); }
        .hero { background: #000 url( hero-bg.webp ) no-repeat; }
        .broken { color: ; background: url(/img/after-an-error.png) }
        .data { background-image: url(data:image/gif;base64,R0lGOD) }
      </style></head>
      <body><div style="background-image: url('/img/banner.png'); border-image: url(&quot;/img/border.svg&quot;) 30"></div></body></html>`;
    expect(all(html(page))).toEqual([
      ['css-import', 'https://www.example.com/css/theme.css'],
      ['css-import', 'https://www.example.com/css/print.css'],
      ['style', 'https://www.example.com/fonts/inter.woff2'],
      ['style', 'https://www.example.com/fonts/inter.woff'],
      ['style', 'https://www.example.com/shop/hero-bg.webp'],
      ['style', 'https://www.example.com/img/after-an-error.png'],
      ['style', 'https://www.example.com/img/banner.png'],
      ['style', 'https://www.example.com/img/border.svg'],
    ]);
    expect(
      html(page)
        .assets.filter((a) => a.stylesheet)
        .map((a) => a.url),
    ).toEqual(['https://www.example.com/css/theme.css', 'https://www.example.com/css/print.css']);
  });

  it('resolves everything against the first <base href>, wherever it stands', () => {
    const page = `<script src="early.js"></script><base href="https://static.example.com/v2/"><base href="/ignored/">
      <img srcset="img/a.png 1x"><div style="background:url(img/b.png)"></div>`;
    expect(urls(html(page, 'https://www.example.com/'))).toEqual([
      'https://static.example.com/v2/early.js',
      'https://static.example.com/v2/img/a.png',
      'https://static.example.com/v2/img/b.png',
    ]);
    expect(urls(html('<base href="http://[bad"><script src="app.js"></script>', 'https://www.example.com/x/'))).toEqual(['https://www.example.com/x/app.js']);
  });

  it('reads at most maxBytes of the page and says how much it left', () => {
    const page = `<script src="/first.js"></script>${'<p>filler</p>'.repeat(100)}<script src="/late.js"></script>`;
    // 200 bytes end inside a <p>: reading stops after the last whole tag before them.
    const cut = html(page, 'https://www.example.com/', 200);
    expect(urls(cut)).toEqual(['https://www.example.com/first.js']);
    expect(cut.unparsedBytes).toBe(Buffer.byteLength(page) - page.lastIndexOf('>', 199) - 1);
    expect(html(page).unparsedBytes).toBe(0);
  });

  it('finds nothing in a page without assets', () => {
    expect(html('<p>hello</p>').assets).toEqual([]);
  });
});

describe('child assets of a stylesheet', () => {
  const sheet = `@charset "utf-8";
@import "base.css";
@import url(https://fonts.example.net/css2?family=Inter) layer(fonts);
@font-face {
  font-family: "Inter";
  src: url("../fonts/Inter.woff2?v=4") format("woff2"),
       url(../fonts/Inter.woff) format("woff");
  font-display: swap;
}
:root { --hero: url(/img/hero.avif); }
.logo { background: url('logo.svg') center / contain no-repeat; }
.icons { mask: url(#sprite) }
@media (min-width: 800px) { .wide { background-image: image-set(url(wide-1x.png) 1x, url(wide-2x.png) 2x); } }
`;

  it('finds @import, @font-face src and every url(), relative to the stylesheet', () => {
    const found = cssAssets(Buffer.from(sheet), 'https://static.example.com/css/site.css', 1 << 20);
    expect(found.assets.map((a) => [a.source, a.url, a.stylesheet])).toEqual([
      ['css-import', 'https://static.example.com/css/base.css', true],
      ['css-import', 'https://fonts.example.net/css2?family=Inter', true],
      ['css-url', 'https://static.example.com/fonts/Inter.woff2?v=4', false],
      ['css-url', 'https://static.example.com/fonts/Inter.woff', false],
      ['css-url', 'https://static.example.com/img/hero.avif', false],
      ['css-url', 'https://static.example.com/css/logo.svg', false],
      ['css-url', 'https://static.example.com/css/site.css', false],
      ['css-url', 'https://static.example.com/css/wide-1x.png', false],
      ['css-url', 'https://static.example.com/css/wide-2x.png', false],
    ]);
  });

  it('reads at most maxBytes of it', () => {
    // 60 bytes end inside the second @import: it is left whole for lack of bytes, not read in half.
    const found = cssAssets(Buffer.from(sheet), 'https://static.example.com/css/site.css', 60);
    expect(found.assets.map((a) => a.url)).toEqual(['https://static.example.com/css/base.css']);
    expect(found.unparsedBytes).toBe(Buffer.byteLength(sheet) - sheet.indexOf('\n@import url'));
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
