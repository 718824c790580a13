/**
 * The benchmarks' local targets, in a Node process of their own so serving them never shares an
 * event loop with the vendorwatch check being measured: the lab's HTTP fault server (`/ok`, and
 * `/delay/N`, which holds the response headers N ms), one lab DNS fault server per delay
 * (every reply held that many ms) and, when asked for, the lab shop with its payment vendor.
 *
 * Run as a script, it starts them, prints where they listen as one JSON line, and exits when its
 * stdin closes, so it never outlives the benchmark that started it.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { startDnsFaultServer } from '../lab/dns-faults.ts';
import { startFaultServer } from '../lab/faults.ts';
import { startShop, type Shop } from '../lab/shop.ts';
import { ROOT } from '../test/support/processes.ts';

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
  const args = [...dnsDelaysMs.map(String), ...(opts.shop ? [SHOP_FLAG] : [])];
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), ...args], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const close = async () => {
    child.stdin.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  const first = await Promise.race([
    new Promise<string>((resolve) => createInterface({ input: child.stdout }).once('line', resolve)),
    exited.then(() => undefined),
    sleep(30_000, undefined, { ref: false }),
  ]);
  if (!first) {
    await close();
    throw new Error('the benchmark targets did not start');
  }
  const where = JSON.parse(first) as Omit<Targets, 'close'>;
  return { ...where, close };
}

async function serve(dnsDelaysMs: number[], withShop: boolean): Promise<void> {
  const http = await startFaultServer();
  const dns = await Promise.all(dnsDelaysMs.map((delayMs) => startDnsFaultServer({ delayMs })));
  const shop = withShop ? await startShop() : undefined;
  const where = {
    http: http.url,
    dns: Object.fromEntries(dnsDelaysMs.map((d, i) => [d, dns[i]!.address])),
    ...(shop && { shop: { url: shop.url, paymentUrl: shop.paymentUrl } }),
  };
  process.stdout.write(`${JSON.stringify(where)}\n`);
  process.stdin.on('close', async () => {
    await Promise.all([http.close(), ...dns.map((d) => d.close()), shop?.close()]);
    process.exit(0);
  });
  process.stdin.resume();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  await serve(args.filter((a) => a !== SHOP_FLAG).map(Number), args.includes(SHOP_FLAG));
}
