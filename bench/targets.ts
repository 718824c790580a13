/**
 * The benchmarks' local targets, in a Node process of their own so serving them never shares an
 * event loop with the vendorwatch check being measured: the lab's HTTP fault server (`/ok`, and
 * `/delay/N`, which holds the response headers N ms) and one lab DNS fault server per delay
 * (every reply held that many ms).
 *
 * Run as a script, it starts them, prints where they listen as one JSON line, and exits when its
 * stdin closes, so it never outlives the benchmark that started it.
 */
import { fileURLToPath } from 'node:url';
import { startDnsFaultServer } from '../lab/dns-faults.ts';
import { startFaultServer } from '../lab/faults.ts';
import { readyLine, runScript, startScript } from './script-process.ts';

export interface Targets {
  /** Base URL of the HTTP fault server, e.g. "http://127.0.0.1:41234". */
  http: string;
  /** Delay in ms → "127.0.0.1:port" of the DNS fault server holding replies that long. */
  dns: Record<number, string>;
  close(): Promise<void>;
}

export async function startTargets(dnsDelaysMs: readonly number[]): Promise<Targets> {
  const script = startScript(fileURLToPath(import.meta.url), dnsDelaysMs.map(String));
  const where = await readyLine<Omit<Targets, 'close'>>(script, 'the benchmark targets');
  return { ...where, close: () => script.close() };
}

await runScript(import.meta.url, async (args) => {
  const dnsDelaysMs = args.map(Number);
  const http = await startFaultServer();
  const dns = await Promise.all(dnsDelaysMs.map((delayMs) => startDnsFaultServer({ delayMs })));
  process.stdout.write(`${JSON.stringify({ http: http.url, dns: Object.fromEntries(dnsDelaysMs.map((d, i) => [d, dns[i]!.address])) })}\n`);
  return async () => {
    await Promise.all([http.close(), ...dns.map((d) => d.close())]);
  };
});
