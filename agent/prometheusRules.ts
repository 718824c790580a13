/**
 * `vendorwatch rules`: Prometheus recording and alerting rules that compute the collector's consensus
 * and vendor states (agent/collector/consensus.ts, state.ts, probeHealth.ts) from the probes' own
 * metrics, for fleets that run consensus in Prometheus, Mimir or Thanos, and raise the collector's
 * alerts under the same alertnames and labels (docs/alerts.md, "The alert contract"), so Alertmanager routes, silences
 * and inhibitions work for either path; plus multi-window burn-rate alerts for each vendor's SLA.
 *
 * The consensus group is layered; rules in one group run in order at the same timestamp, so each
 * layer reads the ones before:
 *  1. votes     — vendorwatch:probe_vote:success: each probe's latest result inside W; :failing and
 *                 :degraded only the failing and slow votes, so the counts go over few series;
 *  2. probes    — vendorwatch:probe_unhealthy:bool: a probe alone failing checks of several vendors;
 *  3. counts    — per (check, region): the votes of healthy probes, and how many failed or were slow;
 *  4. regions   — vendorwatch:region_{failing,degraded}:bool by quorum, holding the previous verdict
 *                 when neither side has one (hysteresis); absent (unknown) below min_probes. Thin
 *                 evidence (min_probes 1): a failing quorum of one failing vote counts only once it
 *                 has held for `consensus.confirm` rounded up to whole check intervals, plus half an
 *                 interval (vendorwatch:region_failing_votes_since:timestamp_seconds), the closest
 *                 a gauge comes to "a later failing run started `confirm` after the first";
 *  5. down      — vendorwatch:vendor_region_down:bool: any delivery check failing in the region;
 *  6. vendors   — vendorwatch:vendor_state{vendor,state}: 1 where a condition holds, else 0;
 *  7. incidents — vendorwatch:vendor_incident_open:bool: 1 while a problem state holds, or held at
 *                 the previous evaluation and the vendor is now unknown.
 * The probes group records each probe's newest sample time and raises ProbeDown and ProbeUnhealthy.
 * One group per vendor raises VendorFlapping, VendorOutage and VendorImpaired, in that order (each
 * reads the ones before through ALERTS at the same timestamp), and the SLO burn-rate alerts. An
 * incident alert fires when its severity is first reached and holds, by reading its own ALERTS
 * series, until the vendor is operational; it does not start while VendorFlapping fires.
 *
 * Knobs differ per check (window, min_probes, quorum, confirm), so layers 1 and 4 hold one
 * expression per set of checks sharing the knobs they need, selected by a `check=~"…"` matcher and
 * joined with `or`. Roles are not labels on the probes' metrics; rules select a role's checks by name.
 * What PromQL cannot do like the collector is listed in docs/rules.md ("Where the rules still differ").
 */
import { stringify } from 'yaml';
import type { ConsensusSettings } from '../config/effective.ts';
import type { Check, Config, Vendor } from '../config/schema.ts';
import { vendorLinks } from './collector/alerts/alert.ts';
import { severityOf, vendorStates } from './collector/state.ts';
import { rumBurnAlerts, rumSliRules } from './prometheusRumSlo.ts';
import { burnAlerts, deliveryChecks, sliRules } from './prometheusSlo.ts';
import { checkMatcher, nameMatcher, promDuration, type Rule, type RuleGroup } from './promql.ts';

type Role = Check['role'];

/**
 * The problem states the probes' metrics can show; the state is the first of them that holds
 * (vendorStates' order). users_impacted rests on the collector's per-page-view counts, which no
 * metric carries: its vendor_state is recorded as 0 (docs/rules.md).
 */
type Condition = Exclude<(typeof vendorStates)[number], 'operational' | 'unknown' | 'users_impacted'>;
const conditions = vendorStates.filter((s): s is Condition => s !== 'operational' && s !== 'unknown' && s !== 'users_impacted');
const pageStates = conditions.filter((s) => severityOf(s) === 'page');
const ticketStates = conditions.filter((s) => severityOf(s) === 'ticket');

/** All rule groups for a config. */
export function prometheusRules(config: Config): { groups: RuleGroup[] } {
  const groups: RuleGroup[] = [
    { name: 'vendorwatch-consensus', rules: consensusRules(config) },
    { name: 'vendorwatch-probes', rules: probeRules(config) },
  ];
  const withSla = config.vendors.filter((v) => v.sla && deliveryChecks(config, v).length);
  if (withSla.length) groups.push({ name: 'vendorwatch-slo', rules: sliRules(config, withSla) });
  const rumSlis = rumSliRules(config);
  if (rumSlis.length) groups.push({ name: 'vendorwatch-rum-slo', rules: rumSlis });
  for (const vendor of config.vendors) {
    const rules = [...incidentAlerts(config, vendor), ...burnAlerts(config, vendor), ...rumBurnAlerts(config, vendor)];
    if (rules.length) groups.push({ name: `vendorwatch-vendor-${vendor.name}`, rules });
  }
  return { groups };
}

/** The rules as the YAML file Prometheus loads. */
export function prometheusRulesYaml(config: Config, source: string): string {
  const header = `# Generated by \`vendorwatch rules\` from ${source}; regenerate after changing vendors, checks or consensus.\n`;
  return header + stringify(prometheusRules(config), { lineWidth: 0, aliasDuplicateObjects: false });
}

// --- layers 1–6: consensus and vendor state ---

/** Checks that share what an expression needs to know about them, so they share one expression. */
interface CheckSet<K> {
  key: K;
  checks: string[];
}

function checkSets<K>(checks: readonly Check[], keyOf: (check: Check) => K): CheckSet<K>[] {
  const sets = new Map<string, CheckSet<K>>();
  for (const check of checks) {
    const key = keyOf(check);
    const id = JSON.stringify(key);
    const set = sets.get(id) ?? { key, checks: [] };
    set.checks.push(check.name);
    sets.set(id, set);
  }
  return [...sets.values()];
}

/**
 * One rule per recorded series: the sets' expressions joined with `or` (their checks never
 * overlap). Several rules recording the same series would fail `promtool check rules`' lint.
 */
function recordAcrossSets<K>(record: string, sets: CheckSet<K>[], expr: (set: CheckSet<K>) => string): Rule[] {
  if (!sets.length) return [];
  return [{ record, expr: sets.length === 1 ? expr(sets[0]!) : sets.map((s) => `(\n  ${expr(s)}\n)`).join('\nor\n') }];
}

const slowRoles: Role[] = ['delivery', 'performance'];

function consensusRules(config: Config): Rule[] {
  const { checks } = config;
  const withRoles = (...roles: Role[]) => checks.filter((c) => roles.includes(c.role));
  // The knobs resolved at config load (config/effective.ts), the ones the collector reads.
  const settingsOf = (check: Check) => config.effective.checks[check.name];
  const byWindow = (cs: readonly Check[]) => checkSets(cs, (c) => settingsOf(c).window);
  // Thin evidence applies to the outage verdict: `confirmed` says whether to read its knob.
  const byQuorum = (cs: readonly Check[], confirmed: boolean) =>
    checkSets(cs, (c): QuorumKnobs => {
      const { min_probes, quorum, confirm } = settingsOf(c);
      // A failing quorum can rest on one failing vote only below min_probes 2.
      return { min_probes, quorum, confirmAfter: confirmed && min_probes < 2 ? confirmAfter(confirm, c.interval) : undefined };
    });
  const quorumSets = byQuorum(checks, true);
  const slowQuorumSets = byQuorum(withRoles(...slowRoles), false);
  const thin = quorumSets.filter((s) => s.key.confirmAfter !== undefined);
  const last = (metric: string) => (s: CheckSet<number>) =>
    `max by (vendor, check, region, probe) (last_over_time(${metric}{${checkMatcher(s.checks)}}[${promDuration(s.key)}]))`;
  // Votes that count: unhealthy probes' votes are left out.
  const counted = (series: string) => `(${series} unless on (probe) vendorwatch:probe_unhealthy:bool == 1)`;
  // How many of these votes count per (check, region) of the checks `m` selects, 0 where the region has voters but none of them.
  const countedOrZero = (votes: string, m: string) =>
    `(count by (vendor, check, region) ${counted(`${votes}${m}`)}\n  or 0 * vendorwatch:region_voters:count${m})`;
  const performance = withRoles('performance').map((c) => c.name);
  const delivery = withRoles('delivery').map((c) => c.name);
  return [
    // 1. each probe's vote: its latest result inside the window W; slow votes only where one was slow
    ...recordAcrossSets('vendorwatch:probe_vote:success', byWindow(checks), last('vendorwatch_check_success')),
    ...recordAcrossSets('vendorwatch:probe_vote:degraded', byWindow(withRoles(...slowRoles)), (s) => `${last('vendorwatch_check_degraded')(s)} == 1`),
    // Failing votes are few: later layers count them here instead of going over every vote again.
    { record: 'vendorwatch:probe_vote:failing', expr: '1 - vendorwatch:probe_vote:success == 1' },
    // 2. probe health: a probe alone failing checks of unhealthy_vendors vendors is unhealthy until it fails alone nowhere
    {
      record: 'vendorwatch:probe_lone_failure',
      expr:
        'vendorwatch:probe_vote:failing\n' +
        '  and on (vendor, check) count by (vendor, check) (vendorwatch:probe_vote:failing) == 1\n' +
        '  and on (vendor, check) count by (vendor, check) (vendorwatch:probe_vote:success) >= 2',
    },
    {
      record: 'vendorwatch:probe_unhealthy:bool',
      expr:
        '0 * count by (probe, region) (vendorwatch:probe_lone_failure) + 1\n' +
        '  and on (probe) (\n' +
        `    count by (probe) (count by (probe, vendor) (vendorwatch:probe_lone_failure)) >= ${config.collector.unhealthy_vendors}\n` +
        '    or on (probe) vendorwatch:probe_unhealthy:bool == 1\n' +
        '  )\n' +
        'or 0 * count by (probe, region) (vendorwatch:probe_vote:success)',
    },
    // 3. votes per (check, region); the failing and slow ones counted from the few such votes, 0 where there are none
    { record: 'vendorwatch:region_voters:count', expr: `count by (vendor, check, region) ${counted('vendorwatch:probe_vote:success')}` },
    { record: 'vendorwatch:region_failing_voters:count', expr: countedOrZero('vendorwatch:probe_vote:failing', '') },
    // A performance check is there to catch slowness: failing and degraded both count as slow.
    ...recordAcrossSets(
      'vendorwatch:region_degraded_voters:count',
      [
        { key: 'performance', checks: performance },
        { key: 'delivery', checks: delivery },
      ].filter((set) => set.checks.length),
      ({ key, checks: names }) => {
        const m = `{${checkMatcher(names)}}`;
        const slow = countedOrZero('vendorwatch:probe_vote:degraded', m);
        return key === 'performance' ? `${countedOrZero('vendorwatch:probe_vote:failing', m)}\n+ ${slow}` : slow;
      },
    ),
    // 4. region verdicts: 1 failing, 0 passing, the previous verdict when neither side has a quorum, no sample while unknown;
    //    first, since when a thin failing quorum has held
    ...recordAcrossSets(failingSince, thin, (s) => {
      const m = selector(s, thin.length === 1 && quorumSets.length === 1);
      const failing = failingQuorum('vendorwatch:region_failing_voters:count', s, m);
      return `${failingSince}${m} and on (vendor, check, region) (${failing})\n  or time() + 0 * (${failing})`;
    }),
    ...recordAcrossSets('vendorwatch:region_failing:bool', quorumSets, (s) =>
      regionVerdict('vendorwatch:region_failing:bool', 'vendorwatch:region_failing_voters:count', s, selector(s, quorumSets.length === 1)),
    ),
    ...recordAcrossSets('vendorwatch:region_degraded:bool', slowQuorumSets, (s) =>
      regionVerdict('vendorwatch:region_degraded:bool', 'vendorwatch:region_degraded_voters:count', s, selector(s, slowQuorumSets.length === 1)),
    ),
    // 5. a vendor's region is down when any of its delivery checks fails there
    ...(delivery.length
      ? [
          {
            record: 'vendorwatch:vendor_region_down:bool',
            expr: `max by (vendor, region) (vendorwatch:region_failing:bool${selector({ checks: delivery }, delivery.length === checks.length)})`,
          },
        ]
      : []),
    // 6. vendor conditions
    ...vendorStateRules(config),
    // 7. the incident: a problem state, held through a spell of unknown
    {
      record: 'vendorwatch:vendor_incident_open:bool',
      expr:
        `max by (vendor) (${stateSelector(conditions)}) == 1\n` +
        `or (max by (vendor) (vendorwatch:vendor_incident_open:bool) == 1 and on (vendor) ${stateSelector(['unknown'])} == 1)\n` +
        'or 0 * vendorwatch:vendor:configured',
    },
  ];
}

const failingSince = 'vendorwatch:region_failing_votes_since:timestamp_seconds';

/**
 * How long a thin failing quorum must hold to count. The probe's gauge shows one value per run, so
 * a second failing run looks like the first one lasting longer: the k-th run after the first is
 * the first to start `confirm` later, and its failing result keeps the vote failing beyond k
 * intervals; half an interval more absorbs scrape and evaluation jitter.
 */
function confirmAfter(confirm: number, interval: number): number {
  return (Math.max(1, Math.ceil(confirm / interval)) + 0.5) * interval;
}

/** "Meets the quorum": a strict majority unless a share is configured. */
function meetsShare(ratio: string, share: number | undefined): string {
  return share === undefined ? `${ratio} > 0.5` : `${ratio} >= ${share}`;
}

type QuorumKnobs = Pick<ConsensusSettings, 'min_probes' | 'quorum'> & {
  /** Milliseconds a failing quorum of one failing vote must hold to count (thin sets only). */
  confirmAfter: number | undefined;
};

/**
 * The matcher that selects a set's checks in the recorded series, or none when the set holds every
 * check those series can carry (the votes already keep only configured checks): at thousands of
 * checks a regex of every name costs each evaluation far more than it selects.
 */
function selector(set: Pick<CheckSet<unknown>, 'checks'>, whole: boolean): string {
  return whole ? '' : `{${checkMatcher(set.checks)}}`;
}

/** The `against` votes meet the quorum (consensus.ts meetsQuorum); `m` selects the set's checks. */
function failingQuorum(against: string, set: CheckSet<QuorumKnobs>, m: string): string {
  return `${against}${m} >= ${set.key.min_probes} and ${meetsShare(`${against}${m} / vendorwatch:region_voters:count${m}`, set.key.quorum)}`;
}

/**
 * The collector's verdict (consensus.ts) with its hysteresis: a rule reading its own series sees
 * its output of the previous evaluation (the current one is not written yet), or nothing when the
 * region was unknown then, since Prometheus marks a series stale as soon as a rule stops producing it.
 */
function regionVerdict(record: string, against: string, set: CheckSet<QuorumKnobs>, m: string): string {
  const { min_probes: minProbes, quorum, confirmAfter: hold } = set.key;
  const voters = `vendorwatch:region_voters:count${m}`;
  const bad = `${against}${m}`;
  const good = `(${voters} - ${bad})`;
  const failing = failingQuorum(against, set, m);
  // Thin evidence: one failing vote counts once confirmed; until then the previous verdict holds.
  const thin = hold !== undefined;
  const confirmed = thin ? ` and (${bad} >= 2 or time() - ${failingSince}${m} >= ${hold / 1000})` : '';
  const unconfirmed = thin ? ` unless (${failing})` : '';
  return (
    `(0 * ${voters} + 1 and ${failing}${confirmed})\n` +
    `  or (0 * ${voters} and ${good} >= ${minProbes} and ${meetsShare(`${good} / ${voters}`, quorum)}${unconfirmed})\n` +
    `  or (${record}${m} and ${voters} >= ${minProbes})`
  );
}

/** Vendor conditions, each 1 where it holds and 0 elsewhere for every configured vendor, like the collector's gauge. */
function vendorStateRules(config: Config): Rule[] {
  const names = (roles: Role[]) => config.checks.filter((c) => roles.includes(c.role)).map((c) => c.name);
  const state = (name: (typeof vendorStates)[number], holds: string | undefined): Rule => ({
    record: 'vendorwatch:vendor_state',
    expr: holds ? `0 * (\n  ${holds}\n) + 1\nor 0 * vendorwatch:vendor:configured` : '0 * vendorwatch:vendor:configured',
    labels: { state: name },
  });
  const anyFailing = (roles: Role[]) =>
    names(roles).length ? `max by (vendor) (vendorwatch:region_failing:bool{${checkMatcher(names(roles))}} == 1)` : undefined;
  const hasDelivery = names(['delivery']).length > 0;
  const down = 'vendorwatch:vendor_region_down:bool';
  // A vendor is judged by its delivery checks, or by all its checks when it has none.
  const judging = config.vendors.flatMap((v) => {
    const own = config.checks.filter((c) => c.vendor === v.name);
    const deliveryOwn = own.filter((c) => c.role === 'delivery');
    return (deliveryOwn.length ? deliveryOwn : own).map((c) => c.name);
  });
  const unknown = judging.length
    ? `vendorwatch:vendor:configured unless on (vendor) count by (vendor) (vendorwatch:region_failing:bool{${checkMatcher(judging)}})`
    : 'vendorwatch:vendor:configured';
  return [
    { record: 'vendorwatch:vendor:configured', expr: config.vendors.map((v) => `label_replace(vector(1), "vendor", "${v.name}", "", "")`).join('\nor ') },
    state('hard_down', hasDelivery ? hardDown(config, down) : undefined),
    state('regional_outage', hasDelivery ? `max by (vendor) (${down}) == 1\n  unless on (vendor) vendorwatch:vendor_state{state="hard_down"} == 1` : undefined),
    state(
      'degraded',
      names(slowRoles).length
        ? `max by (vendor) (\n    vendorwatch:region_degraded:bool == 1${hasDelivery ? `\n    unless on (vendor, region) ${down} == 1` : ''}\n  )`
        : undefined,
    ),
    state('users_impacted', undefined),
    state('api_down', anyFailing(['control'])),
    state('limited_visibility', anyFailing(['telemetry'])),
    state('unknown', unknown),
    state('operational', `vendorwatch:vendor:configured\n  unless on (vendor) vendorwatch:vendor_state{state=~"${conditions.join('|')}|unknown"} == 1`),
  ];
}

/**
 * hard_down: the down regions meet the vendor's global quorum of the regions with a delivery
 * verdict, and there is at least one (outageIsGlobal in consensus.ts). One term per global quorum.
 */
function hardDown(config: Config, down: string): string {
  const byShare = new Map<number | undefined, string[]>();
  for (const v of config.vendors) {
    const share = config.effective.vendors[v.name].global_quorum;
    byShare.set(share, [...(byShare.get(share) ?? []), v.name]);
  }
  return [...byShare]
    .map(([share, vendors]) => {
      const sel = byShare.size === 1 ? down : `${down}{${nameMatcher('vendor', vendors)}}`;
      return `(${meetsShare(`sum by (vendor) (${sel}) / count by (vendor) (${sel})`, share)} and sum by (vendor) (${sel}) >= 1)`;
    })
    .join('\n  or ');
}
// --- the incident alerts: VendorFlapping, VendorOutage, VendorImpaired ---

/** vendorwatch:vendor_state selected by states (and vendor). */
function stateSelector(states: readonly string[], vendor?: string): string {
  return `vendorwatch:vendor_state{${vendor ? `vendor="${vendor}",` : ''}state=~"${states.join('|')}"}`;
}

/** This vendor's alerts of these names that fire now (written by the same group, earlier or at the previous evaluation). */
function firingAlerts(vendor: string, alertnames: string[], severity?: string): string {
  return `ALERTS{alertname=~"${alertnames.join('|')}",alertstate="firing",vendor="${vendor}"${severity ? `,severity="${severity}"` : ''}}`;
}

const operational = (vendor: string) => `${stateSelector(['operational'], vendor)} == 1`;

/**
 * Go templates that Prometheus expands at every evaluation, so an alert's text follows the incident.
 * `query` results are sorted by label so the text does not change between evaluations.
 */
const template = {
  /** A number from a PromQL query. */
  count: (expr: string) => `{{ with query \`${expr}\` }}{{ . | first | value }}{{ else }}0{{ end }}`,
  /** "eu-west, us-east": the regions of a query's result. */
  regions: (expr: string, separator = ', ') =>
    `{{ range $i, $r := query \`max by (region) (${expr})\` | sortByLabel "region" }}{{ if $i }}${separator}{{ end }}{{ $r.Labels.region }}{{ end }}`,
  /** "web in eu-west (3 of 3 probes), …": each (check, region) where a verdict holds, with its votes. */
  votes: (verdict: string, voters: string, checks: string[]) =>
    `{{ range $i, $r := query \`vendorwatch:${voters}:count{${checkMatcher(checks)}} and on (vendor, check, region) vendorwatch:${verdict}:bool == 1\`` +
    ' | sortByLabel "check" | sortByLabel "region" }}' +
    '{{ if $i }}, {{ end }}{{ $r.Labels.check }} in {{ $r.Labels.region }} ({{ $r.Value }} of ' +
    '{{ with printf "vendorwatch:region_voters:count{check=%q,region=%q}" $r.Labels.check $r.Labels.region | query }}{{ . | first | value }}{{ end }}' +
    ' probes){{ end }}',
  /** " Failure reasons, most frequent first: timeout, http_status." or nothing. */
  reasons: (checks: string[]) =>
    `{{ with query \`sort_desc(topk(3, sum by (reason) (increase(vendorwatch_check_runs_total{${checkMatcher(checks)},result="failure"}[5m]))))\` }}` +
    ' Failure reasons, most frequent first: {{ range $i, $r := . }}{{ if $i }}, {{ end }}{{ $r.Labels.reason }}{{ end }}.{{ end }}',
  /** Sets `$state` to the vendor's state now: its most severe condition, as the collector's stateOf. */
  state: (vendor: string) =>
    `{{ $state := "unknown" }}{{ with query \`topk(1, ${vendorStates.map((s, i) => `${vendorStates.length - i} * (${stateSelector([s], vendor)} == 1)`).join(' or ')})\` }}` +
    '{{ $state = . | first | label "state" }}{{ end }}',
  /** One text per state (after `state`), and `otherwise` for the rest. */
  byState: (texts: [string, string][], otherwise: string) =>
    texts.map(([state, text], i) => `{{ ${i ? 'else if' : 'if'} eq $state "${state}" }}${text}`).join('') + `{{ else }}${otherwise}{{ end }}`,
};

/** What a condition's alert text says, and where it holds, given the vendor and its checks with the condition's roles. */
interface ConditionText {
  roles: Role[];
  summary: (vendor: string, checks: string[]) => string;
  description: (vendor: string, checks: string[]) => string;
  /** PromQL with a `region` label: where the condition holds. */
  where: (vendor: string, checks: string[]) => string;
}

const failing = (checks: string[]) => `vendorwatch:region_failing:bool{${checkMatcher(checks)}} == 1`;
const failingRegions = (checks: string[]) => `count(max by (region) (${failing(checks)}))`;
const regionsWithVerdict = (checks: string[]) => `count(max by (region) (vendorwatch:region_failing:bool{${checkMatcher(checks)}}))`;
const failingVotes = (checks: string[]) => template.votes('region_failing', 'region_failing_voters', checks);
const downRegions = (vendor: string) => `vendorwatch:vendor_region_down:bool{vendor="${vendor}"} == 1`;
const slowRegions = (checks: string[]) =>
  `vendorwatch:region_degraded:bool{${checkMatcher(checks)}} == 1 unless on (vendor, region) vendorwatch:vendor_region_down:bool == 1`;

const conditionTexts: Record<Condition, ConditionText> = {
  hard_down: {
    roles: ['delivery'],
    summary: (v, c) => `${v} is hard down: delivery fails in ${template.count(failingRegions(c))} of ${template.count(regionsWithVerdict(c))} regions`,
    description: (v, c) => `Probes agree that ${v}'s delivery checks are failing: ${failingVotes(c)}.${template.reasons(c)}`,
    where: downRegions,
  },
  regional_outage: {
    roles: ['delivery'],
    summary: (v, c) => `${v} is down in ${template.regions(failing(c))}`,
    description: (v, c) =>
      `Probes agree that ${v}'s delivery checks are failing: ${failingVotes(c)}. ` +
      `${template.count(failingRegions(c))} of ${template.count(regionsWithVerdict(c))} regions with a verdict are affected.${template.reasons(c)}`,
    where: downRegions,
  },
  degraded: {
    roles: ['delivery', 'performance'],
    summary: (v, c) => `${v} is degraded in ${template.regions(slowRegions(c))}`,
    description: (v, c) =>
      `Probes agree that ${v} is slow or degraded: ${template.votes('region_degraded', 'region_degraded_voters', c)}. Content is still delivered.`,
    where: (_, c) => slowRegions(c),
  },
  api_down: {
    roles: ['control'],
    summary: (v) => `${v}'s control API is down; delivery is fine`,
    description: (v, c) =>
      `Probes agree that ${v}'s control checks are failing: ${failingVotes(c)}. ` +
      `Configuration changes and purges through ${v} may not work.${template.reasons(c)}`,
    where: (_, c) => failing(c),
  },
  limited_visibility: {
    roles: ['telemetry'],
    summary: (v) => `${v}'s telemetry is failing or stale; delivery is fine`,
    description: (v, c) =>
      `Probes agree that ${v}'s telemetry checks are failing: ${failingVotes(c)}. ` +
      `Its reports and logs cannot be trusted until they recover.${template.reasons(c)}`,
    where: (_, c) => failing(c),
  },
};

/**
 * The annotations every incident alert of a vendor carries, written for its state now: `state`,
 * `regions` (where that state holds), `summary`, `description` and the vendor's links. Only the
 * conditions the vendor's checks can produce get a text of their own.
 */
function incidentAnnotations(config: Config, vendor: Vendor): Record<string, string> {
  const v = vendor.name;
  const texts = conditions.flatMap((state) => {
    const text = conditionTexts[state];
    const checks = config.checks.filter((c) => c.vendor === v && text.roles.includes(c.role)).map((c) => c.name);
    return checks.length ? [{ state, text, checks }] : [];
  });
  const byState = (part: (t: (typeof texts)[number]) => string, unknown: string, fine: string) =>
    template.state(v) + template.byState([...texts.map((t): [string, string] => [t.state, part(t)]), ['operational', fine]], unknown);
  return {
    summary: byState((t) => t.text.summary(v, t.checks), `${v}'s state is unknown: too few probes vote for a verdict`, `${v} is operational again`),
    description: byState(
      (t) => t.text.description(v, t.checks),
      `Too few probes vote on ${v}'s checks for a verdict in any region. The alert holds until ${v} is operational again.`,
      `Probes agree that ${v} works again.`,
    ),
    state: template.state(v) + '{{ $state }}',
    regions: byState((t) => template.regions(t.text.where(v, t.checks), ','), '', ''),
    ...vendorLinks(vendor, config.alerts.dashboard_url),
    ...(vendor.status_page ? { vendor_status_url: vendor.status_page } : {}),
  };
}

/**
 * An incident alert: it starts when the vendor's most severe state first has its severity (and no
 * alert that stands for it fires), then holds, by reading its own ALERTS series, until the vendor
 * is operational. Both terms reduce to {vendor}, so the alert keeps one identity throughout.
 */
function incidentAlert(vendor: string, alert: string, states: Condition[], blockedBy: string[], annotations: Record<string, string>): Rule {
  const worse = conditions.slice(0, conditions.indexOf(states[0]!));
  const starts =
    `max by (vendor) (${stateSelector(states, vendor)} == 1)\n` +
    (worse.length ? `  unless on (vendor) ${stateSelector(worse, vendor)} == 1\n` : '') +
    `  unless on (vendor) ${firingAlerts(vendor, blockedBy)}`;
  const holds = `max by (vendor) (${firingAlerts(vendor, [alert])})\n  unless on (vendor) ${operational(vendor)}`;
  return { alert, expr: `(\n  ${starts}\n)\nor\n(\n  ${holds}\n)`, labels: { severity: severityOf(states[0]!), vendor }, annotations };
}

/**
 * VendorFlapping: `incidents` incidents opened within the window. An opening is a rise of
 * vendorwatch:vendor_incident_open:bool; over a 0/1 series changes() counts rises and falls and
 * resets() the falls, so their difference counts the rises between samples inside the window.
 * Page if an outage state was seen in the window, else ticket; a ticket that then sees an outage
 * adds the page. Held until a window passes with no new incident and the vendor is operational.
 */
function flappingAlert(config: Config, vendor: string, annotations: Record<string, string>): Rule {
  const { window, incidents } = config.collector.flapping;
  const w = promDuration(window);
  const series = `vendorwatch:vendor_incident_open:bool{vendor="${vendor}"}`;
  const openings = `(changes(${series}[${w}]) - resets(${series}[${w}]))`;
  const outageSeen = `max by (vendor) (max_over_time(${stateSelector(pageStates, vendor)}[${w}])) == 1`;
  const fires = firingAlerts(vendor, ['VendorFlapping']);
  const withSeverity = (severity: string, expr: string) => `label_replace(\n    ${expr},\n    "severity", "${severity}", "", ""\n  )`;
  return {
    alert: 'VendorFlapping',
    expr:
      `(\n  ${withSeverity('page', `(${openings} >= ${incidents} or max by (vendor) (${fires})) and on (vendor) ${outageSeen}`)}\n` +
      `  unless on (vendor) ${firingAlerts(vendor, ['VendorFlapping'], 'page')}\n)\nor\n` +
      `(\n  ${withSeverity('ticket', `${openings} >= ${incidents} unless on (vendor) ${outageSeen}`)}\n  unless on (vendor) ${fires}\n)\nor\n` +
      `(\n  max by (vendor, severity) (${fires})\n  and on (vendor) (${openings} >= 1 or ${stateSelector(['operational'], vendor)} == 0)\n)`,
    // `vendor` is in the result already; as a rule label it keeps promtool's lint from taking vendors' rules for duplicates.
    labels: { vendor },
    annotations: {
      ...annotations,
      summary: `${vendor} is flapping: ${template.count(openings)} incidents opened in the last ${w}`,
      description:
        `${vendor} keeps failing and recovering, so this one alert stands for its incidents instead of an alert each. ` +
        `It resolves once ${w} pass with no new incident and ${vendor} is operational. Now: ${annotations.summary}.`,
    },
  };
}

/** A vendor's incident alerts, in the order they read each other's ALERTS. */
function incidentAlerts(config: Config, vendor: Vendor): Rule[] {
  const own = config.checks.filter((c) => c.vendor === vendor.name);
  if (!own.length) return [];
  const annotations = incidentAnnotations(config, vendor);
  const v = vendor.name;
  return [
    flappingAlert(config, v, annotations),
    ...(own.some((c) => c.role === 'delivery') ? [incidentAlert(v, 'VendorOutage', pageStates, ['VendorFlapping'], annotations)] : []),
    incidentAlert(v, 'VendorImpaired', ticketStates, ['VendorOutage', 'VendorFlapping'], annotations),
  ];
}

// --- probe health: ProbeDown, ProbeUnhealthy ---

const lastSample = 'vendorwatch:probe_last_sample:timestamp_seconds';

/**
 * ProbeDown from each probe's newest sample, not `up`, so it also works for samples written
 * remotely. The range over the recorded series keeps a vanished probe in sight until
 * probe_forget_after, as long as the collector remembers it.
 */
function probeRules(config: Config): Rule[] {
  const { probe_forget_after: forget, flapping, max_clock_skew: maxSkew } = config.collector;
  // Regions named by checks may run other checks than the rest; each has its probe_down_after.
  const { regions, other } = config.effective.probe_down_after;
  const named = Object.keys(regions);
  const thresholds = [
    ...Object.entries(regions).map(([region, ms]) => ({ matcher: nameMatcher('region', [region]), ms })),
    { matcher: named.length ? nameMatcher('region', named).replace('=~', '!~') : '', ms: other },
  ];
  const silence = (matcher: string) => `time() - max_over_time(${lastSample}${matcher && `{${matcher}}`}[${promDuration(forget)}])`;
  return [
    { record: lastSample, expr: 'max by (probe, region) (timestamp(vendorwatch_check_success))' },
    {
      alert: 'ProbeDown',
      expr: thresholds.map((t) => `${silence(t.matcher)} > ${t.ms / 1000} <= ${forget / 1000}`).join('\nor '),
      labels: { severity: 'ticket' },
      annotations: {
        summary: 'Probe {{ $labels.probe }} in {{ $labels.region }} has sent nothing for {{ $value | humanizeDuration }}',
        description:
          'No metric of probe {{ $labels.probe }} has a sample newer than its probe_down_after; its votes stop counting once they are older than ' +
          `the consensus window. The alert resolves when it reports again, or after ${promDuration(forget)} of silence.`,
      },
    },
    {
      alert: 'ProbeClockSkew',
      // The probe's clock as scraped against the scrape's own time, which is Prometheus's clock.
      expr: `abs(max by (probe, region) (vendorwatch_probe_time_seconds - timestamp(vendorwatch_probe_time_seconds))) > ${maxSkew / 1000}`,
      for: '1m',
      labels: { severity: 'ticket' },
      annotations: {
        summary: "Probe {{ $labels.probe }} in {{ $labels.region }} has a clock {{ $value | humanizeDuration }} off Prometheus's",
        description:
          `More than the ${promDuration(maxSkew)} allowed (collector.max_clock_skew) for a minute. Its results are placed in time by its own clock, ` +
          'so its votes fall out of the consensus window early or are refused; fix its time sync (NTP).',
      },
    },
    {
      alert: 'ProbeUnhealthy',
      expr: 'vendorwatch:probe_unhealthy:bool == 1',
      keep_firing_for: promDuration(flapping.window),
      labels: { severity: 'ticket' },
      annotations: {
        summary: 'Probe {{ $labels.probe }} in {{ $labels.region }} fails checks that every other probe passes',
        // Expanded while the probe is unhealthy; during keep_firing_for Prometheus keeps the last text.
        description:
          `It alone fails checks of at least ${config.collector.unhealthy_vendors} vendors: ` +
          '{{ range $i, $r := printf "vendorwatch:probe_lone_failure{probe=%q}" $labels.probe | query | sortByLabel "check" }}' +
          '{{ if $i }}, {{ end }}{{ $r.Labels.check }}{{ end }}. ' +
          `Its votes are left out of consensus until it fails alone nowhere; this alert then holds for ${promDuration(flapping.window)}.`,
      },
    },
  ];
}
