/**
 * `vendorwatch check --suite VENDOR --connect-to EDGE`: the before/after test of a CDN
 * configuration change. Every http check of the vendor (its regression suite: the check URL,
 * content profiles, child assets) runs once as configured (production) and once against a staging
 * edge — the same URLs, Host and SNI, but TCP to EDGE, like curl's --connect-to — and the two
 * runs are compared assertion by assertion: pass → fail is a regression, fail → pass an
 * improvement. Latency only marks a run degraded, so a slower staging edge is reported, never a
 * regression.
 */
import { httpCheckSchema, type HttpCheck } from '../../../../config/checks/http.ts';
import type { CheckResult } from '../../../../config/result.ts';
import type { Config } from '../../../../config/schema.ts';
import { didYouMean } from '../../../../config/spelling.ts';
import type { Logger } from '../../../log.ts';
import { textTable } from '../../../textTable.ts';
import { Scheduler } from '../../scheduler.ts';
import type { ProbeIdentity } from '../check.ts';
import { closeRunners, configureRunners, loadRunners } from '../index.ts';

export interface SuiteOptions {
  vendor: string | undefined;
  connectTo: string | undefined;
  /** Only these checks of the vendor (default: all its http checks). */
  names: string[];
  /** Run every check once on both sides before the compared runs, so both edges' caches are warm. */
  warm: boolean;
  json: boolean;
}

/** Exit codes, as `check` has them (README.md, Commands). */
const EXIT = { ok: 0, regression: 1, usage: 2 } as const;

type Side = { ok: boolean; actual?: unknown; reason?: string } | undefined;

/** How one assertion (or the run itself, named `result`) changed from production to staging. */
export type Change = 'regression' | 'improvement' | 'slower' | 'faster' | 'changed' | 'failing on both';

export interface Difference {
  check: string;
  assertion: string;
  production: Side;
  staging: Side;
  change: Change;
}

export interface SuiteComparison {
  connectTo: string;
  checks: number;
  /** Assertions (and runs) compared on both sides. */
  compared: number;
  regressions: number;
  improvements: number;
  differences: Difference[];
}

/** Latency thresholds only mark a run degraded: a slower edge is worth seeing, not a regression. */
const isLatency = (name: string) => /(^|: )latency /.test(name);

/** The change between two sides of one assertion; undefined when nothing changed and both pass. */
function changeOf(name: string, production: Side, staging: Side): Change | undefined {
  if (!production || !staging) return undefined;
  if (production.ok && staging.ok) {
    // The run itself passed on both sides: equal, whatever the messages.
    const same = name === 'result' || isLatency(name) || JSON.stringify(production.actual) === JSON.stringify(staging.actual);
    return same ? undefined : 'changed';
  }
  if (!production.ok && !staging.ok) return 'failing on both';
  if (isLatency(name)) return production.ok ? 'slower' : 'faster';
  return production.ok ? 'regression' : 'improvement';
}

/** Compares the two runs of each check, assertion by assertion (and the run's own verdict). */
export function compareRuns(connectTo: string, production: CheckResult[], staging: CheckResult[]): SuiteComparison {
  const differences: Difference[] = [];
  let compared = 0;
  for (const before of production) {
    const after = staging.find((r) => r.check === before.check);
    if (!after) continue;
    const run = (r: CheckResult): Side => ({ ok: r.ok, reason: r.reason, ...(r.ok ? {} : { actual: r.message }) });
    const sides: [string, Side, Side][] = [['result', run(before), run(after)]];
    const stagingAssertions = new Map(after.assertions.map((a) => [a.name, a]));
    for (const a of before.assertions) {
      const b = stagingAssertions.get(a.name);
      sides.push([a.name, { ok: a.ok, actual: a.actual }, b && { ok: b.ok, actual: b.actual }]);
    }
    const ofCheck: Difference[] = [];
    for (const [assertion, p, s] of sides) {
      if (!p || !s) continue;
      compared++;
      const change = changeOf(assertion, p, s);
      if (change) ofCheck.push({ check: before.check, assertion, production: p, staging: s, change });
    }
    // The run's own verdict is a row only when no assertion explains it (a refused connection, a timeout).
    const verdict = ofCheck.find((d) => d.assertion === 'result');
    const assertions = ofCheck.filter((d) => d !== verdict);
    if (verdict && !assertions.some((d) => d.change === verdict.change)) differences.push(verdict);
    differences.push(...assertions);
  }
  return {
    connectTo,
    checks: production.length,
    compared,
    regressions: differences.filter((d) => d.change === 'regression').length,
    improvements: differences.filter((d) => d.change === 'improvement').length,
    differences,
  };
}

/** "pass (hit)", "FAIL (miss)", "FAIL http_status: HTTP 503, expected 200-399". */
function sideText(side: Side): string {
  if (!side) return '-';
  const actual = side.actual === undefined ? '' : typeof side.actual === 'string' ? side.actual : JSON.stringify(side.actual);
  const shown = actual.length > 60 ? `${actual.slice(0, 59)}…` : actual;
  if (side.reason !== undefined) return side.ok ? 'ok' : `FAIL ${side.reason}${shown ? `: ${shown}` : ''}`;
  return `${side.ok ? 'pass' : 'FAIL'}${shown ? ` (${shown})` : ''}`;
}

/** The differences as a table, regressions first, then a one-line verdict. */
export function renderComparison(c: SuiteComparison): string {
  const order: Change[] = ['regression', 'improvement', 'slower', 'faster', 'changed', 'failing on both'];
  const rows = [...c.differences].sort((a, b) => order.indexOf(a.change) - order.indexOf(b.change));
  const verdict =
    `${c.regressions} regression${c.regressions === 1 ? '' : 's'}, ${c.improvements} improvement${c.improvements === 1 ? '' : 's'} ` +
    `on staging ${c.connectTo} (${c.compared} assertions of ${c.checks} checks compared with production)\n`;
  if (!rows.length) return `no differences: ${verdict}`;
  const table = textTable([
    ['CHECK', 'ASSERTION', 'PRODUCTION', `STAGING ${c.connectTo}`, 'CHANGE'],
    ...rows.map((d) => [d.check, d.assertion, sideText(d.production), sideText(d.staging), d.change === 'regression' ? 'REGRESSION' : d.change]),
  ]);
  return `${table}\n${verdict}`;
}

/** The vendor's http checks (or the named ones of them), each also aimed at the staging edge. */
function chooseChecks(config: Config, opts: SuiteOptions): { checks: HttpCheck[] } | { error: string } {
  const vendors = config.vendors.map((v) => v.name);
  if (!opts.vendor) return { error: '--connect-to goes with --suite VENDOR' };
  if (!opts.connectTo) return { error: '--suite needs --connect-to HOST[:PORT], the staging edge to compare with production' };
  if (!vendors.includes(opts.vendor))
    return { error: `unknown vendor "${opts.vendor}" ${didYouMean(opts.vendor, vendors) || `(vendors: ${vendors.join(', ')})`}` };
  const ofVendor = config.checks.filter((c) => c.vendor === opts.vendor);
  const unknown = opts.names.filter((n) => !ofVendor.some((c) => c.name === n));
  if (unknown.length) return { error: `not a check of ${opts.vendor}: ${unknown.join(', ')}` };
  const chosen = opts.names.length ? ofVendor.filter((c) => opts.names.includes(c.name)) : ofVendor;
  const checks = chosen.filter((c): c is HttpCheck => c.kind === 'http');
  if (!checks.length) return { error: `${opts.vendor} has no http checks to run against a staging edge` };
  return { checks };
}

/** Runs the suite on both sides and prints the comparison; returns the exit code. */
export async function runSuite(config: Config, opts: SuiteOptions, probe: ProbeIdentity, logger: Logger): Promise<number> {
  const chosen = chooseChecks(config, opts);
  if ('error' in chosen) {
    process.stderr.write(`vendorwatch: ${chosen.error}\n`);
    return EXIT.usage;
  }
  const parsed = httpCheckSchema.shape.connect_to.safeParse(opts.connectTo);
  if (!parsed.success) {
    process.stderr.write(`vendorwatch: --connect-to "${opts.connectTo}": ${parsed.error.issues[0]!.message}\n`);
    return EXIT.usage;
  }
  const skipped = config.checks.filter((c) => c.vendor === opts.vendor && c.kind !== 'http' && (!opts.names.length || opts.names.includes(c.name)));
  for (const c of skipped) process.stderr.write(`${c.name}: not run (${c.kind} checks do not connect to an edge)\n`);

  const production = chosen.checks;
  const staging = production.map((c) => ({ ...c, connect_to: parsed.data }));
  configureRunners({ logger, browserConcurrency: config.probe.browser_concurrency });
  await loadRunners(['http']);
  const scheduler = new Scheduler({ checks: [], vendors: config.vendors, probe, logger, concurrency: config.probe.concurrency, onResult: () => {} });
  const runAll = async (side: string, checks: HttpCheck[]) => {
    const results = await Promise.all(
      checks.map(async (check) => {
        const result = await scheduler.runOnce(check);
        if (result) process.stderr.write(`${side} ${result.check}: ${result.ok ? 'OK' : `FAIL ${result.reason}`}\n`);
        return result;
      }),
    );
    return results.filter((r): r is CheckResult => r !== undefined);
  };
  try {
    if (opts.warm) await Promise.all([runAll('warm-up production', production), runAll('warm-up staging', staging)]);
    const [before, after] = await Promise.all([runAll('production', production), runAll('staging', staging)]);
    const comparison = compareRuns(opts.connectTo!, before, after);
    process.stdout.write(opts.json ? `${JSON.stringify({ ...comparison, production: before, staging: after })}\n` : renderComparison(comparison));
    return comparison.regressions ? EXIT.regression : EXIT.ok;
  } finally {
    await closeRunners();
  }
}
