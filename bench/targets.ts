/**
 * The benchmarks' local targets, in a Node process of their own so serving them never shares an
 * event loop with the vendorwatch check being measured: the lab's HTTP fault server (`/ok`, and
 * `/delay/N`, which holds the response headers N ms), one lab DNS fault server per delay
 * (every reply held that many ms) and, when asked for, the lab shop with its payment vendor.
 *
 * Run as a script, it starts them, prints where they listen as one JSON line, and exits when its
 * stdin closes, so it never outlives the benchmark that started it.
 */
import { fileURLToPath } from 'node:url';
import { startDnsFaultServer } from '../lab/dns-faults.ts';
import { startFaultServer } from '../lab/faults.ts';
import { startShop, type Shop } from '../lab/shop.ts';
import { readyLine, runScript, startScript } from './script-process.ts';

/** Asks the targets' process to start the lab shop too. */
const SHOP_FLAG = '--shop';

export interface Targets {
  /** Base URL of the HTTP fault server, e.g. "http://127.0.0.1:41234". */
  http: string;
  /** Delay in ms → "127.0.0.1:port" of the DNS fault server holding replies that long. */
  dns: Record<number, string>;
  /** The lab shop (lab/shop.ts), when started with `shop: true`. */
  shop?: Pick<Shop, 'url' | 'paymentUrl'>;
  close(): Promise<void>;
}

export async function startTargets(dnsDelaysMs: readonly number[], opts: { shop?: boolean } = {}): Promise<Targets> {
  const script = startScript(fileURLToPath(import.meta.url), [...dnsDelaysMs.map(String), ...(opts.shop ? [SHOP_FLAG] : [])]);
  const where = await readyLine<Omit<Targets, 'close'>>(script, 'the benchmark targets');
  return { ...where, close: () => script.close() };
}

await runScript(import.meta.url, async (args) => {
  const dnsDelaysMs = args.filter((a) => a !== SHOP_FLAG).map(Number);
  const http = await startFaultServer();
  const dns = await Promise.all(dnsDelaysMs.map((delayMs) => startDnsFaultServer({ delayMs })));
  const shop = args.includes(SHOP_FLAG) ? await startShop() : undefined;
  const where = {
    http: http.url,
    dns: Object.fromEntries(dnsDelaysMs.map((d, i) => [d, dns[i]!.address])),
    ...(shop && { shop: { url: shop.url, paymentUrl: shop.paymentUrl } }),
  };
  process.stdout.write(`${JSON.stringify(where)}\n`);
  return async () => {
    await Promise.all([http.close(), ...dns.map((d) => d.close()), shop?.close()]);
  };
});
