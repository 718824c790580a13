/**
 * Prometheus's blackbox_exporter (Debian prometheus-blackbox-exporter) as a contender: started on
 * a free loopback port with the modules a benchmark gives it, probed the way Prometheus does
 * (`GET /probe?module=M&target=T`, over one kept-alive connection to the exporter), and its
 * answer read as a map of metric series to values.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { stringify } from 'yaml';
import { freePort, start, tempDir, waitFor } from '../test/support/processes.ts';
import { toolVersion } from './measure.ts';

const BINARY = '/usr/bin/prometheus-blackbox-exporter';

export interface BlackboxExporter {
  /** e.g. "blackbox_exporter 0.23.0" */
  version: string;
  url: string;
  /** Runs one probe; series like `probe_http_duration_seconds{phase="connect"}` → value. */
  probe(module: string, target: string): Promise<Map<string, number>>;
  close(): Promise<void>;
}

export async function startBlackboxExporter(modules: Record<string, unknown>): Promise<BlackboxExporter> {
  const dir = tempDir('vendorwatch-bench-blackbox-');
  const config = join(dir, 'blackbox.yml');
  writeFileSync(config, stringify({ modules }));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc = start(BINARY, [`--config.file=${config}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn']);
  const agent = new Agent({ connections: 16 });
  const close = async () => {
    await agent.close();
    await proc.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  const healthy = async () => {
    const res = await request(`${url}/-/healthy`, { dispatcher: agent });
    await res.body.dump();
    return res.statusCode === 200;
  };
  try {
    await waitFor(healthy, { timeoutMs: 15_000, what: `blackbox_exporter on ${url}` });
  } catch (err) {
    const output = proc.output();
    await close();
    throw new Error(`${(err as Error).message}\n${output}`, { cause: err });
  }
  return {
    version: await toolVersion(BINARY, /blackbox_exporter, version \S+/).then((v) => v.replace(', version', '')),
    url,
    async probe(module, target) {
      const res = await request(`${url}/probe?${new URLSearchParams({ module, target })}`, { dispatcher: agent, signal: AbortSignal.timeout(30_000) });
      const text = await res.body.text();
      if (res.statusCode !== 200) throw new Error(`blackbox_exporter answered HTTP ${res.statusCode}: ${text.slice(0, 200)}`);
      return parseExposition(text);
    },
    close,
  };
}

/** The Prometheus text format, series by series (comments skipped). */
export function parseExposition(text: string): Map<string, number> {
  const series = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*(?:\{[^}]*\})?) (\S+)/.exec(line);
    if (m) series.set(m[1]!, Number(m[2]));
  }
  return series;
}
