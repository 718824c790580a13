import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, start, tempDir, waitFor, type Running } from './processes.ts';

export interface Varnish extends Running {
  url: string;
  port: number;
}

/**
 * A real Varnish (Debian `varnish`) on a free loopback port in front of one backend, as a CDN
 * edge: default caching rules, plus an `X-Edge-Pop` header naming its location (`pop`).
 * `-j none` lets it run from a private temp dir whether or not the tests run as root.
 */
export async function startVarnish(backend: { host?: string; port: number }, { pop = 'AMS1' } = {}): Promise<Varnish> {
  const dir = tempDir('vendorwatch-varnish-');
  const port = await freePort();
  const vcl = join(dir, 'edge.vcl');
  writeFileSync(
    vcl,
    `vcl 4.1;
backend origin { .host = "${backend.host ?? '127.0.0.1'}"; .port = "${backend.port}"; }
sub vcl_recv { if (req.url == "/varnish-ready") { return (synth(200, "ready")); } }
sub vcl_deliver { set resp.http.X-Edge-Pop = server.identity; }
`,
  );
  const proc = start('varnishd', ['-F', '-j', 'none', '-a', `127.0.0.1:${port}`, '-n', join(dir, 'work'), '-f', vcl, '-s', 'malloc,32m', '-i', pop]);
  proc.child.once('error', () => {});
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => proc.child.exitCode === null && (await fetch(`${url}/varnish-ready`)).ok, {
    what: `varnishd ready (is the Debian package varnish installed?)\n${proc.output()}`,
  });
  return { ...proc, url, port };
}
