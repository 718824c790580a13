/**
 * `vendorwatch validate --effective`: what every check runs with once the defaults are resolved
 * (config.effective, config/effective.ts), and the level each consensus knob came from, so that
 * someone asking why a region did or did not fail sees the numbers the collector and the rules use.
 * As JSON, durations are milliseconds and an unset quorum (a strict majority) is null.
 */
import type { KnobSource } from '../config/effective.ts';
import type { Config } from '../config/schema.ts';
import { promDuration } from './promql.ts';
import { textTable } from './textTable.ts';

/** The effective settings as one record: checks and vendors in config order. */
export function effectiveSettings(config: Config) {
  const { effective } = config;
  return {
    checks: config.checks.map((c) => ({
      check: c.name,
      vendor: c.vendor,
      kind: c.kind,
      role: c.role,
      interval: c.interval,
      timeout: c.timeout,
      regions: c.regions,
      ...effective.checks[c.name],
    })),
    vendors: config.vendors.map((v) => ({ vendor: v.name, ...effective.vendors[v.name] })),
    probe_down_after: effective.probe_down_after,
    warm_up: effective.warm_up,
  };
}

export function effectiveSettingsJson(config: Config): string {
  // Unset values (all regions, a majority quorum) stay visible as null instead of vanishing.
  return `${JSON.stringify(effectiveSettings(config), (_key, value: unknown) => (value === undefined ? null : value), 2)}\n`;
}

/** Durations written the way the config writes them: "30s", "1m", "2500ms". */
const ms = promDuration;
const share = (q: number | undefined) => (q === undefined ? 'majority' : String(q));
const sourceText = { check: 'check', vendor: 'vendor', top_level: 'top level', default: 'default', collector: 'collector.probe_down_after' } as const;
const sourced = (value: string, from: KnobSource | 'collector') => `${value} (${sourceText[from]})`;

export function effectiveSettingsTable(config: Config): string {
  const { checks, vendors, probe_down_after: downAfter, warm_up } = effectiveSettings(config);
  const checkRows = checks.map((c) => [
    c.check,
    c.vendor,
    c.kind,
    c.role,
    ms(c.interval),
    ms(c.timeout),
    c.regions?.join(',') ?? 'all',
    sourced(ms(c.window), c.from.window),
    sourced(String(c.min_probes), c.from.min_probes),
    sourced(share(c.quorum), c.from.quorum),
    sourced(ms(c.confirm), c.from.confirm),
  ]);
  const named = Object.entries(downAfter.regions);
  const regionRows = [...named, [named.length ? '(any other)' : '(every region)', downAfter.other] as const].map(([region, after]) => [
    region,
    sourced(ms(after), downAfter.from),
  ]);
  return [
    textTable([['CHECK', 'VENDOR', 'KIND', 'ROLE', 'INTERVAL', 'TIMEOUT', 'REGIONS', 'WINDOW', 'MIN_PROBES', 'QUORUM', 'CONFIRM'], ...checkRows]),
    textTable([['VENDOR', 'GLOBAL_QUORUM', 'WARM_UP'], ...vendors.map((v) => [v.vendor, sourced(share(v.global_quorum), v.from), ms(v.warm_up)])]),
    textTable([['REGION', 'PROBE_DOWN_AFTER'], ...regionRows]),
    `collector warm-up: ${ms(warm_up)} (after it starts, the collector judges each vendor once its WARM_UP has passed: its checks' longest interval plus the push interval, when every live probe has run and pushed each of them; every vendor by then)\n`,
  ].join('\n');
}
