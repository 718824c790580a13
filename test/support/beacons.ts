/** Beacons for tests that feed the collector's RUM ingest: one page view loading some vendors' resources. */
import type { Beacon } from '../../config/beacon.ts';

type Resources = Beacon['resources'][string];

/** A vendor's resources on a page: `count` loads, `failed` of them failed, image loads timed at `ms`. */
export function vendorLoads(count: number, failed: number, ms: number[]): Resources {
  return {
    count,
    bytes: 100 * count,
    cacheHits: 0,
    failed,
    noTimingAllowOrigin: 0,
    protocols: { h2: count },
    samples: ms.map((m): Resources['samples'][number] => ['img', 'miss', m]),
  };
}

let seq = 0;

/** A page view (a load, page group "other") with these resources per vendor; each call is a new page view. */
export function pageView(resources: Beacon['resources']): Beacon {
  return { v: 1, nav: '0123456789abcdef', seq: seq++, type: 'navigate', group: 'other', resources, lost: 0 };
}
