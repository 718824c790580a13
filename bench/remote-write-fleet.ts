/**
 * The load generator of the rules-scale benchmark: a simulated fleet (bench/fleet.ts) whose probes
 * remote-write their check votes into Prometheus, as `probe.remote_write` with
 * `metrics: [vendorwatch_check_success, vendorwatch_check_degraded]` would: every interval each
 * probe sends one sample per check of both gauges, labelled vendor, check, kind, region, probe,
 * stamped with the time it is sent, in requests of at most 2,000 samples. Probes are spread evenly
 * over the interval, as real ones drift apart. The series' labels are encoded once; each send
 * adds the values and timestamps by hand (the same bytes agent/probe/remoteWrite/writeRequest.ts
 * makes through protobufjs, faster), then snappy-compresses the body.
 *
 * Run as a script (`remote-write-fleet.ts '<FleetSize JSON>' URL INTERVAL_MS`, pinned to a CPU
 * by the benchmark), it writes until its stdin closes. Lines on stdin: `{"fault": "vendor-001"}`
 * makes that vendor's delivery checks fail everywhere from the next send on; `{"report": true}`
 * answers with a report line (and starts a new one).
 */
import snappy from 'snappyjs';
import { Pool } from 'undici';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { writeRequestHeaders } from '../agent/probe/remoteWrite/writeRequest.ts';
import { Fleet, type FleetSize, type Probe } from './fleet.ts';
import { readyLine, runScript, startScript } from './script-process.ts';

const SAMPLES_PER_SEND = 2000;
const CONNECTIONS = 16;

export interface WriteReport {
  samples: number;
  requests: number;
  failed: number;
  firstFailure?: string;
  latenciesMs: number[];
  /** Sends that were due while the previous sends of the same probe were still in flight (the writer or Prometheus falling behind). */
  late: number;
}

export interface FleetWriter {
  fault(vendor: string): void;
  report(): Promise<WriteReport>;
  close(): Promise<void>;
}

export async function startFleetWriter(size: FleetSize, url: string, intervalMs: number, cpu: number): Promise<FleetWriter> {
  const script = startScript(fileURLToPath(import.meta.url), [JSON.stringify(size), url, String(intervalMs)], { cpu });
  // Encoding every series' labels takes a while at 300 × 3,000 on a busy machine.
  await readyLine<{ ready: true }>(script, 'the remote-write fleet', 10 * 60_000);
  return {
    fault: (vendor) => script.send(JSON.stringify({ fault: vendor })),
    async report() {
      script.send(JSON.stringify({ report: true }));
      return JSON.parse(await script.next(60_000)) as WriteReport;
    },
    close: () => script.close(),
  };
}

// --- protobuf by hand: prometheus.WriteRequest { repeated TimeSeries timeseries = 1 } ---

function varint(n: number): number[] {
  const bytes: number[] = [];
  while (n >= 0x80) {
    bytes.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  bytes.push(n);
  return bytes;
}

function lengthDelimited(field: number, payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from([(field << 3) | 2, ...varint(payload.length)]), payload]);
}

/** Label entries repeat across series (a vendor, a region, a probe): each is encoded once. */
const encodedLabels = new Map<string, Buffer>();

/** A series' labels as TimeSeries field 1 entries, sorted by name. */
function encodeLabels(labels: Record<string, string>): Buffer {
  return Buffer.concat(
    Object.keys(labels)
      .sort()
      .map((name) => {
        const key = `${name}=${labels[name]}`;
        let entry = encodedLabels.get(key);
        if (!entry) {
          entry = lengthDelimited(1, Buffer.concat([lengthDelimited(1, Buffer.from(name)), lengthDelimited(2, Buffer.from(labels[name]!))]));
          encodedLabels.set(key, entry);
        }
        return entry;
      }),
  );
}

/** Sample { double value = 1; int64 timestamp = 2 } as TimeSeries field 2. */
function encodeSample(value: number, timestamp: number): Buffer {
  const sample = Buffer.alloc(9);
  sample[0] = 0x09;
  sample.writeDoubleLE(value, 1);
  return lengthDelimited(2, Buffer.concat([sample, Buffer.from([0x10, ...varint(timestamp)])]));
}

interface EncodedSeries {
  labels: Buffer;
  vendor: string;
  role: string;
  success: boolean;
  /** The value when nothing is faulted. */
  value: number;
}

function probeSeries(fleet: Fleet, probe: Probe): EncodedSeries[] {
  return fleet.checks.flatMap((check) => {
    const outcome = fleet.outcome(probe, check);
    const base = { vendor: check.vendor, check: check.name, kind: check.kind, region: probe.region, probe: probe.id };
    return [
      {
        labels: encodeLabels({ __name__: 'vendorwatch_check_success', ...base }),
        vendor: check.vendor,
        role: check.role,
        success: true,
        value: outcome === 'failing' ? 0 : 1,
      },
      {
        labels: encodeLabels({ __name__: 'vendorwatch_check_degraded', ...base }),
        vendor: check.vendor,
        role: check.role,
        success: false,
        value: outcome === 'slow' ? 1 : 0,
      },
    ];
  });
}

await runScript(import.meta.url, async ([sizeJson, url, intervalText]) => {
  const fleet = new Fleet(JSON.parse(sizeJson!) as FleetSize);
  const intervalMs = Number(intervalText);
  const target = new URL(url!);
  const pool = new Pool(target.origin, { connections: CONNECTIONS, pipelining: 1 });
  const series = fleet.probes.map((probe) => probeSeries(fleet, probe));
  const faulted = new Set<string>();
  let report: WriteReport = { samples: 0, requests: 0, failed: 0, latenciesMs: [], late: 0 };
  const inFlight = new Set<number>();

  const valueOf = (s: EncodedSeries) => (faulted.has(s.vendor) && s.role === 'delivery' && s.success ? 0 : s.value);

  async function send(p: number): Promise<void> {
    if (inFlight.has(p)) {
      report.late++;
      return;
    }
    inFlight.add(p);
    try {
      const all = series[p]!;
      for (let i = 0; i < all.length; i += SAMPLES_PER_SEND) {
        const timestamp = Date.now();
        const parts = all.slice(i, i + SAMPLES_PER_SEND).map((s) => {
          const body = Buffer.concat([s.labels, encodeSample(valueOf(s), timestamp)]);
          return lengthDelimited(1, body);
        });
        const body = Buffer.from(snappy.compress(Buffer.concat(parts)));
        const started = performance.now();
        try {
          const res = await pool.request({ path: target.pathname, method: 'POST', headers: writeRequestHeaders, body });
          const text = await res.body.text();
          report.requests++;
          if (res.statusCode >= 300) {
            report.failed++;
            report.firstFailure ??= `HTTP ${res.statusCode}: ${text.slice(0, 200)}`;
          } else report.samples += parts.length;
        } catch (err) {
          report.requests++;
          report.failed++;
          report.firstFailure ??= (err as Error).message;
        }
        report.latenciesMs.push(performance.now() - started);
      }
    } finally {
      inFlight.delete(p);
    }
  }

  // Probe p sends at p/probes of each interval.
  const start = Date.now();
  const timers = fleet.probes.map((_, p) =>
    setTimeout(
      () => {
        void send(p);
        timers[p] = setInterval(() => void send(p), intervalMs);
      },
      (p / fleet.probes.length) * intervalMs,
    ),
  );
  createInterface({ input: process.stdin }).on('line', (line) => {
    const msg = JSON.parse(line) as { fault?: string; report?: boolean };
    if (msg.fault) faulted.add(msg.fault);
    if (msg.report) {
      process.stdout.write(`${JSON.stringify(report)}\n`);
      report = { samples: 0, requests: 0, failed: 0, latenciesMs: [], late: 0 };
    }
  });
  process.stdout.write(`${JSON.stringify({ ready: true, start })}\n`);
  return async () => {
    for (const t of timers) clearInterval(t);
    await pool.close();
  };
});
