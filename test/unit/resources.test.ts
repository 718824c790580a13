import { describe, expect, it } from 'vitest';
import { cacheOutcome, resourceType, summarizeResources, type ResourceEntryLike } from '../../config/resourceTiming.ts';
import { vendorResourcesSchema } from '../../config/vendorResources.ts';

const vendors = [
  { name: 'acme-cdn', hosts: ['static.example.com'], identify: { header: 'server-timing', match: 'cdn;desc=acme' } },
  { name: 'payco', hosts: ['*.payco.test'] },
];

function entry(over: Partial<ResourceEntryLike>): ResourceEntryLike {
  return {
    name: 'https://static.example.com/a.js?v=1',
    initiatorType: 'script',
    duration: 12.4,
    transferSize: 1000,
    encodedBodySize: 900,
    decodedBodySize: 3000,
    responseStart: 50,
    nextHopProtocol: 'h2',
    ...over,
  };
}

describe('summarizeResources', () => {
  it('attributes by host, by Server-Timing and otherwise to "other"', () => {
    const s = summarizeResources(
      [
        entry({}),
        entry({ name: 'https://api.payco.test/pay', initiatorType: 'fetch', responseStatus: 502 }),
        entry({ name: 'https://assets.neutral.test/x.png', initiatorType: 'img', serverTiming: [{ name: 'cdn', description: 'acme' }] }),
        entry({ name: 'https://elsewhere.test/y.css', initiatorType: 'link', responseStart: 0, transferSize: 0, decodedBodySize: 0, nextHopProtocol: '' }),
        entry({ transferSize: 0 }),
      ],
      vendors,
    );
    expect(Object.keys(s).sort()).toEqual(['acme-cdn', 'other', 'payco']);
    expect(s['acme-cdn']).toMatchObject({ count: 3, bytes: 2000, cacheHits: 1, failed: 0, durationsMs: [12, 12, 12], types: { script: 2, img: 1 } });
    expect(s.payco).toMatchObject({ count: 1, failed: 1 });
    expect(s.other).toMatchObject({ count: 1, noTimingAllowOrigin: 1, cacheHits: 0, protocols: { unknown: 1 } });
  });

  it("produces what the browser check's details declare (vendorResourcesSchema)", () => {
    const s = summarizeResources([entry({}), entry({ initiatorType: 'weird', transferSize: 0, duration: -1 })], vendors, ['https://x.test/y.png']);
    for (const summary of Object.values(s)) expect(vendorResourcesSchema.parse(summary)).toEqual(summary);
  });
});

describe('summarizeResources for histograms and failures', () => {
  it('keeps a bounded type, the cache outcome and the duration of each entry', () => {
    const s = summarizeResources(
      [entry({}), entry({ initiatorType: 'xmlhttprequest', transferSize: 0 }), entry({ initiatorType: 'weird', transferSize: 0, decodedBodySize: 0 })],
      vendors,
    );
    expect(s['acme-cdn']!.samples).toEqual([
      ['script', 'miss', 12],
      ['fetch', 'hit', 12],
      ['other', 'unknown', 12],
    ]);
    expect([resourceType('link'), resourceType('iframe'), resourceType('video'), resourceType('img')]).toEqual(['css', 'frame', 'media', 'img']);
    expect(cacheOutcome(entry({ transferSize: 0 }))).toBe('hit');
  });

  it('counts a failed load once, whether seen by status, by error event or both', () => {
    const s = summarizeResources(
      [entry({ name: 'https://static.example.com/404.js', responseStatus: 404 }), entry({ name: 'https://static.example.com/opaque.js', responseStatus: 0 })],
      vendors,
      ['https://static.example.com/404.js', 'https://static.example.com/opaque.js', 'https://static.example.com/never-answered.js', 'https://x.test/y.png'],
    );
    expect(s['acme-cdn']).toMatchObject({ count: 2, failed: 3 });
    expect(s.other).toMatchObject({ count: 0, failed: 1 });
  });
});
