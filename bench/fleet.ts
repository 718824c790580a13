/**
 * A simulated fleet for the consensus benchmark: vendors with ten checks each (mixed roles and
 * kinds), watched by probes in several regions, and a fixed scenario of trouble so consensus has
 * work to do. It writes the collector's config and makes the CheckResults its probes would push:
 * valid ids, timestamps, phases, assertions and details shaped like the real checks' own.
 *
 * The scenario, by vendor index v (so every fleet size has the same mix):
 *   v % 20 = 3   delivery checks fail in one region               → regional_outage
 *   v % 50 = 7   delivery checks fail everywhere                  → hard_down
 *   v % 25 = 11  performance checks slow (degraded) in one region → degraded
 *   v % 33 = 5   the control check fails everywhere               → api_down
 *   v % 40 = 13  the telemetry check fails everywhere             → limited_visibility
 *   v % 10 = 1   one bad probe (the first of the last region) fails the first check, which all
 *                its peers pass                                  → probe_unhealthy, not the vendor
 * Every other result passes.
 */
import { newResult } from '../agent/probe/checks/check.ts';
import type { DnsDetails } from '../config/checks/dns.ts';
import type { HttpDetails } from '../config/checks/http.ts';
import type { CheckResult } from '../config/result.ts';
import type { Check, Vendor } from '../config/schema.ts';

export interface FleetSize {
  regions: number;
  probesPerRegion: number;
  vendors: number;
  checksPerVendor: number;
}

export interface Probe {
  id: string;
  region: string;
  regionIndex: number;
  /** Its index among its region's probes. */
  index: number;
}

interface FleetCheck {
  name: string;
  vendor: string;
  vendorIndex: number;
  kind: Extract<Check['kind'], 'http' | 'dns'>;
  role: Check['role'];
  /** Its index among its vendor's checks. */
  slot: number;
}

const REGION_NAMES = ['eu-west', 'us-east', 'us-west', 'ap-south', 'sa-east', 'eu-north', 'ap-east', 'af-south'];
/** A vendor's checks, by slot: mostly delivery, some performance, one control and one telemetry. */
const ROLES: Check['role'][] = ['delivery', 'delivery', 'delivery', 'delivery', 'delivery', 'delivery', 'performance', 'performance', 'control', 'telemetry'];
const VENDOR_KINDS: Vendor['kind'][] = ['cdn', 'dns', 'api', 'payment', 'cdn', 'analytics', 'ads', 'cdn', 'api', 'other'];
/** The check interval the config leaves at its default, and the consensus window it implies (3 × interval). */
export const INTERVAL_SECONDS = 30;
export const WINDOW_SECONDS = 3 * INTERVAL_SECONDS;

const pad = (n: number, width: number) => String(n).padStart(width, '0');

export class Fleet {
  readonly probes: Probe[];
  readonly checks: FleetCheck[];

  constructor(readonly size: FleetSize) {
    const region = (r: number) => REGION_NAMES[r] ?? `region-${r + 1}`;
    this.probes = Array.from({ length: size.regions * size.probesPerRegion }, (_, i) => {
      const regionIndex = Math.floor(i / size.probesPerRegion);
      const index = i % size.probesPerRegion;
      return { id: `${region(regionIndex)}-p${pad(index + 1, 2)}`, region: region(regionIndex), regionIndex, index };
    });
    this.checks = Array.from({ length: size.vendors * size.checksPerVendor }, (_, i) => {
      const vendorIndex = Math.floor(i / size.checksPerVendor);
      const slot = i % size.checksPerVendor;
      const vendor = vendorName(vendorIndex);
      const kind = vendorKind(vendorIndex) === 'dns' && slot < 6 ? 'dns' : 'http';
      return { name: `${vendor}-c${pad(slot + 1, 2)}`, vendor, vendorIndex, kind, role: ROLES[slot % ROLES.length]!, slot };
    });
  }

  /** "100 probes × 1,000 checks" */
  get label(): string {
    return `${this.probes.length.toLocaleString('en')} × ${this.checks.length.toLocaleString('en')}`;
  }

  /** Results/s the probes send when every probe runs every check once per interval. */
  get steadyRate(): number {
    return (this.probes.length * this.checks.length) / INTERVAL_SECONDS;
  }

  /** The collector's config: every vendor and check, defaults otherwise (interval 30 s, window 90 s unless `window` is given). */
  configYaml(collector: { token: string; journal: string; window?: string | undefined }): string {
    const vendors = Array.from(
      { length: this.size.vendors },
      (_, v) => `  - { name: ${vendorName(v)}, kind: ${vendorKind(v)}, hosts: ["*.${vendorName(v)}.example.net"] }`,
    );
    const checks = this.checks.map((c) =>
      c.kind === 'dns'
        ? `  - { name: ${c.name}, vendor: ${c.vendor}, role: ${c.role}, kind: dns, query: { name: www.example.com, type: A }, nameservers: ["ns1.${c.vendor}.example.net", "ns2.${c.vendor}.example.net"] }`
        : `  - { name: ${c.name}, vendor: ${c.vendor}, role: ${c.role}, kind: http, url: "https://c${c.slot + 1}.${c.vendor}.example.net/asset.js" }`,
    );
    return [
      `collector: { token: ${JSON.stringify(collector.token)}, journal: ${JSON.stringify(collector.journal)} }`,
      ...(collector.window ? [`consensus: { window: ${collector.window} }`] : []),
      'vendors:',
      ...vendors,
      'checks:',
      ...checks,
      '',
    ].join('\n');
  }

  /** What a probe's run of a check reports, per the scenario in the header. */
  result(probe: Probe, check: FleetCheck, startedAt: number): CheckResult {
    const outcome = this.outcome(probe, check);
    const jitter = ((probe.index * 7 + check.slot * 13) % 10) / 1000;
    const total = outcome === 'slow' ? 2.4 + jitter : 0.12 + jitter;
    if (check.kind === 'dns') {
      const ok = outcome !== 'failing';
      const details: DnsDetails = {
        query: { name: 'www.example.com', type: 'A' },
        zone: 'example.com',
        nameservers: [1, 2].map((n) => ({
          nameserver: `ns${n}.${check.vendor}.example.net`,
          server: `ns${n}.${check.vendor}.example.net`,
          address: `192.0.2.${n}`,
          port: 53,
          ok,
          degraded: false,
          reason: ok ? 'ok' : 'timeout',
          message: ok ? 'ok' : 'no reply within 2000 ms (2 attempts)',
          attempts: [],
          transport: 'udp',
          seconds: ok ? 0.012 + jitter : 2,
          rcode: ok ? 'NOERROR' : undefined,
          answers: ok ? [{ name: 'www.example.com', type: 'A', ttl: 300, data: '198.51.100.7' }] : undefined,
          serial: ok ? 2026112101 : undefined,
        })),
      };
      return {
        ...newResult({ ...check, kind: 'dns' }, probe, startedAt),
        ok,
        degraded: false,
        reason: ok ? 'ok' : 'timeout',
        message: ok ? 'ok' : `ns1.${check.vendor}.example.net: no reply within 2000 ms (2 attempts)`,
        phases: { total: ok ? 0.012 + jitter : 2 },
        assertions: [{ name: 'rcode', ok, expected: ['NOERROR'], ...(ok && { actual: 'NOERROR' }) }],
        details,
      };
    }
    const ok = outcome !== 'failing';
    const status = ok ? 200 : 503;
    const details: HttpDetails = {
      url: `https://c${check.slot + 1}.${check.vendor}.example.net/asset.js`,
      address: '203.0.113.10',
      protocol: 'h2',
      reused_connection: false,
      status,
      bytes: ok ? 48_213 : 162,
      content_type: ok ? 'application/javascript' : 'text/html',
      content_encoding: ok ? 'br' : 'identity',
      cache: ok ? 'hit' : 'unknown',
      cacheable: ok,
      ttl_seconds: ok ? 86_400 : null,
      edge: { cdn: check.vendor, pop: probe.region },
    };
    return {
      ...newResult({ ...check, kind: 'http' }, probe, startedAt),
      ok,
      degraded: outcome === 'slow',
      reason: ok ? 'ok' : 'http_status',
      message: outcome === 'failing' ? 'HTTP 503, expected 200-399' : outcome === 'slow' ? `total ${total.toFixed(3)} s over the 1 s threshold` : 'ok',
      phases: { dns: 0.004, connect: 0.011 + jitter, tls: 0.021, ttfb: total - 0.03, transfer: 0.004, total },
      assertions: [{ name: 'status', ok, expected: ['200-399'], actual: status }],
      details,
    };
  }

  outcome(probe: Probe, check: FleetCheck): 'ok' | 'failing' | 'slow' {
    const v = check.vendorIndex;
    const troubledRegion = v % this.size.regions;
    if (check.role === 'delivery' && v % 20 === 3 && probe.regionIndex === troubledRegion) return 'failing';
    if (check.role === 'delivery' && v % 50 === 7) return 'failing';
    if (check.role === 'performance' && v % 25 === 11 && probe.regionIndex === troubledRegion) return 'slow';
    if (check.role === 'control' && v % 33 === 5) return 'failing';
    if (check.role === 'telemetry' && v % 40 === 13) return 'failing';
    const badProbe = probe.regionIndex === this.size.regions - 1 && probe.index === 0;
    if (badProbe && check.slot === 0 && v % 10 === 1) return 'failing';
    return 'ok';
  }
}

const vendorName = (v: number) => `vendor-${pad(v + 1, 3)}`;
const vendorKind = (v: number) => VENDOR_KINDS[v % VENDOR_KINDS.length]!;
