import { describe, expect, it } from 'vitest';
import { summarizeResources, type ResourceEntryLike } from '../../beacon/src/resources.ts';

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
});
