/**
 * The registry every process serves on /metrics, with Node's default process metrics, and what
 * every process shares. Each role declares its own families beside its code and registers them
 * here when its module loads, so a process exports only the families of what it runs:
 * agent/probe/metrics.ts (checks, push), each kind's agent/probe/checks/<kind>/metrics.ts,
 * agent/collector/metrics.ts (ingest, consensus, states, alerts, journal) and
 * agent/collector/rum/metrics.ts (beacons). The README's "Metrics" section lists them all.
 * Labels only ever take bounded values: config names, enums, regions, probe ids.
 */
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';

export const registry = new Registry();

collectDefaultMetrics({ register: registry });
// prom-client's nodejs_active_*_total are gauges; promtool rejects a gauge named *_total.
for (const metric of registry.getMetricsAsArray()) {
  if (metric instanceof Gauge && metric.name.endsWith('_total')) registry.removeSingleMetric(metric.name);
}

/** Buckets for check phases: 1 ms to 30 s (also the latency buckets SLA reports and rules read). */
export const phaseBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export const httpConnectionsDropped = new Counter({
  name: 'vendorwatch_http_connections_dropped_total',
  help: "Connections the agent's HTTP server closed on arrival because it already held its maximum.",
  registers: [registry],
});
