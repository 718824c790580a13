/**
 * Faults that hit only some probes or regions: a CDN POP down for one region, a probe whose own
 * network path broke. Lab servers tell probes apart by the User-Agent the http check sends,
 * "vendorwatch/0.1 (probe eu-1; region eu-west)" — the lab's stand-in for geo routing and for a
 * probe's own network.
 *
 *   unavailable  503 with a short text body
 *   reset        the connection is reset (TCP RST) before any answer
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

type ProbeFault = 'unavailable' | 'reset';

interface Asker {
  probe: string;
  region: string;
}

/**
 * The probe and region a request comes from, when a vendorwatch probe sent it, or one of the
 * demo's simulated shoppers ("(visitor shopper; region eu-west)", lab/visitors.ts): a region's
 * fault hits its shoppers too, a probe's fault none of them.
 */
export function askerOf(req: IncomingMessage): Asker | undefined {
  const m = /\((?:probe|visitor) ([^;)\s]+); region ([^;)\s]+)\)/.exec(req.headers['user-agent'] ?? '');
  return m ? { probe: m[1]!, region: m[2]! } : undefined;
}

/** Who a fault is for: a probe, or every probe of a region. */
type FaultTarget = { probe: string } | { region: string };

const keyOf = (t: FaultTarget) => ('probe' in t ? `probe ${t.probe}` : `region ${t.region}`);

export class ProbeFaults {
  private readonly faults = new Map<string, ProbeFault>();

  set(target: FaultTarget, fault: ProbeFault): void {
    this.faults.set(keyOf(target), fault);
  }

  clear(target: FaultTarget): void {
    this.faults.delete(keyOf(target));
  }

  /** The fault for this request (a probe's own fault wins over its region's), if any. */
  faultFor(req: IncomingMessage): ProbeFault | undefined {
    const asker = askerOf(req);
    if (!asker) return undefined;
    return this.faults.get(keyOf({ probe: asker.probe })) ?? this.faults.get(keyOf({ region: asker.region }));
  }

  /** Answers the request with its fault and returns true; false lets it through untouched. */
  intercept(req: IncomingMessage, res: ServerResponse, what: string): boolean {
    const fault = this.faultFor(req);
    if (!fault) return false;
    if (fault === 'reset') req.socket.resetAndDestroy();
    else {
      res.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '5' });
      res.end(`${what} unavailable\n`);
    }
    return true;
  }
}
