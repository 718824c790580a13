/**
 * What vendors say about themselves, shown on the status page beside what the probes measure
 * ("trust but verify"). Vendors with a `status_page` in the registry are asked on an interval for
 * the common Statuspage summary, GET /api/v2/status.json:
 *   {"status": {"indicator": "none" | "minor" | "major" | "critical", "description": "…"}}
 * Each fetch has a timeout and a size cap; a vendor that does not answer, or answers something
 * else, is shown as unreachable with the reason, beside the last answer it did give. The status
 * page only ever reads this cache, so a slow vendor never slows the page.
 *
 * Display only: what a vendor says never feeds consensus or alerts (docs/architecture.md,
 * "Principles": nothing alerts on a vendor's own aggregated reporting).
 */
import { request } from 'undici';
import { z } from 'zod';
import type { Vendor } from '../../config/schema.ts';
import type { Logger } from '../log.ts';

const indicators = ['none', 'minor', 'major', 'critical'] as const;

const statuspageSchema = z.object({
  status: z.object({ indicator: z.enum(indicators), description: z.string().max(500) }),
});

/** The last answer and the last failure of one vendor's status page (times in ms since the epoch). */
export interface VendorSays {
  /** Where people read it: the page itself, not its JSON. */
  link: string;
  said?: { indicator: (typeof indicators)[number]; description: string; at: number };
  /** Set when the latest fetch failed; cleared by the next answer. */
  unreachable?: { reason: string; at: number };
}

/** A status answer is a few hundred bytes; anything much bigger is not one. */
const MAX_BYTES = 64 * 1024;

/** The JSON to fetch: the configured URL if it is the .json, else the page's /api/v2/status.json. */
export function statusJsonUrl(statusPage: string): string {
  const url = new URL(statusPage);
  if (url.pathname.endsWith('.json')) return url.toString();
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/api/v2/status.json`;
  return url.toString();
}

/** The page people read: the configured URL, without the Statuspage API path. */
export function statusPageLink(statusPage: string): string {
  const url = new URL(statusPage);
  if (url.pathname.endsWith('.json')) url.pathname = url.pathname.replace(/\/api\/v2\/[^/]*\.json$/, '/') || '/';
  return url.toString();
}

/** Fetches one vendor's status: its answer, or why there is none. */
export async function fetchVendorStatus(statusPage: string, timeoutMs: number): Promise<{ indicator: (typeof indicators)[number]; description: string }> {
  const controller = new AbortController();
  // Cleared once done: an abort after the answer would error a body nobody reads any more.
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    return await readStatus(statusJsonUrl(statusPage), controller.signal);
  } catch (err) {
    throw new Error(controller.signal.aborted ? `no answer within ${timeoutMs} ms` : (err as Error).message, { cause: err });
  } finally {
    clearTimeout(timer);
  }
}

async function readStatus(url: string, signal: AbortSignal): Promise<{ indicator: (typeof indicators)[number]; description: string }> {
  const res = await request(url, { headers: { accept: 'application/json', 'user-agent': 'vendorwatch-collector' }, signal });
  if (res.statusCode !== 200) {
    await res.body.dump();
    throw new Error(`HTTP ${res.statusCode}`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BYTES) throw new Error(`answer larger than ${MAX_BYTES} bytes`);
    chunks.push(chunk);
  }
  let json: unknown;
  try {
    json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new Error('answer is not JSON');
  }
  const parsed = statuspageSchema.safeParse(json);
  if (!parsed.success) throw new Error('answer is not a Statuspage status (status.indicator, status.description)');
  return parsed.data.status;
}

/** Polls every vendor's status page on an interval and keeps the answers. */
export class VendorStatusPoller {
  private readonly says = new Map<string, VendorSays>();
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> | undefined;

  constructor(
    private readonly vendors: readonly Vendor[],
    private readonly opts: {
      everyMs: number;
      timeoutMs: number;
      logger: Logger;
      now?: () => number;
      /** Hears every fetch's outcome (the evidence of open incidents keeps what vendors said). */
      onFetched?: (vendor: string, says: VendorSays) => void;
    },
  ) {
    for (const v of vendors) if (v.status_page) this.says.set(v.name, { link: statusPageLink(v.status_page) });
  }

  /** What the vendor says, if it has a status page. */
  get(vendor: string): VendorSays | undefined {
    return this.says.get(vendor);
  }

  start(): void {
    if (!this.says.size) return;
    void this.poll();
    this.timer = setInterval(() => void this.poll(), this.opts.everyMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.round;
  }

  /** One round over every vendor, all at once; a round still running is not started again. */
  poll(): Promise<void> {
    this.round ??= Promise.all(this.vendors.filter((v) => v.status_page).map((v) => this.pollOne(v))).then(() => {
      this.round = undefined;
    });
    return this.round;
  }

  private async pollOne(vendor: Vendor): Promise<void> {
    const now = this.opts.now ?? Date.now;
    const entry = this.says.get(vendor.name)!;
    try {
      const status = await fetchVendorStatus(vendor.status_page!, this.opts.timeoutMs);
      this.says.set(vendor.name, { link: entry.link, said: { ...status, at: now() } });
    } catch (err) {
      const reason = (err as Error).message.slice(0, 200);
      if (entry.unreachable?.reason !== reason) this.opts.logger.warn({ vendor: vendor.name, reason }, "vendor's status page is unreachable");
      this.says.set(vendor.name, { ...entry, unreachable: { reason, at: now() } });
    }
    this.opts.onFetched?.(vendor.name, this.says.get(vendor.name)!);
  }
}
