import { z } from 'zod';
import { duration } from './duration.ts';
import { consensusSchema, hostPatternSchema } from './checks/common.ts';
import { checkContracts, checkKinds, type CheckKind } from './checks/index.ts';
import { checksForRegion } from './checks/regions.ts';
import { checkSettings, defaultProbeDownAfter, vendorSettings, type Effective } from './effective.ts';
import { didYouMean } from './spelling.ts';
import { nameSchema } from './terms.ts';
import { rumSchema } from './rum.ts';

/** A p95 latency SLA lets this share of runs be slower than its limit (SLA reports and burn-rate alerts). */
export const LATENCY_SLA_BUDGET = 0.05;
const vendorKinds = ['cdn', 'dns', 'api', 'payment', 'ads', 'analytics', 'other'] as const;

/**
 * How to work with the vendor during an incident: where to open a ticket, whom to call, how to
 * escalate, under which contract. Shown in its alerts, on the status page and in reports and
 * evidence packs; nothing decides on them.
 */
const vendorSupportShape = {
  support_url: z
    .url({ protocol: /^https?$/ })
    .optional()
    .describe("Where to open a ticket with the vendor's support desk; shown in its alerts (support_url), the status page, reports and evidence packs."),
  contacts: z
    .array(
      z.strictObject({
        name: z.string().min(1).max(100).describe('Who: a person, a team or a desk, e.g. `Acme NOC`.'),
        channel: z.string().min(1).max(200).describe('How to reach them: a phone number, an e-mail address, a Slack channel, a URL.'),
      }),
    )
    .max(20)
    .optional()
    .describe("The vendor's people to reach during an incident, in the order to try them."),
  escalation: z
    .array(z.string().min(1).max(300))
    .max(20)
    .optional()
    .describe('Escalation steps, in order, e.g. `open a P1 ticket at support_url`, `after 30m call the TAM`.'),
  contract: z.string().min(1).max(200).optional().describe('Contract or account reference the support desk asks for, e.g. `MSA-2024-117, account 88121`.'),
};

const vendorSchema = z.strictObject({
  name: nameSchema.describe('Unique vendor name; a metric label.'),
  kind: z
    .enum(vendorKinds)
    .default('other')
    .describe('What the vendor provides; shown on the status page and in GET /v1/vendors (nothing else depends on it).'),
  hosts: z.array(hostPatternSchema).default([]).describe('Host patterns used to attribute requests (RUM, browser checks) to this vendor.'),
  identify: z
    .strictObject({
      header: z.string().min(1).describe('Response header to read, e.g. `server-timing` (case-insensitive).'),
      match: z.string().min(1).describe('Text the header value must contain (case-insensitive), e.g. `cdn;desc=acme`.'),
    })
    .optional()
    .describe('A response header that names this vendor behind a vendor-agnostic hostname.'),
  sla: z
    .strictObject({
      availability: z.number().gt(0).max(100).describe('Promised availability in percent.'),
      latency_p95_ms: z
        .number()
        .positive()
        .optional()
        .describe(
          `Promised 95th-percentile latency in milliseconds, held against the total time of successful runs: at most ${LATENCY_SLA_BUDGET * 100}% of them may be slower.`,
        ),
    })
    .optional()
    .describe(
      "The vendor's promise, held against our own measurements by `vendorwatch report`, the burn-rate rules of `vendorwatch rules` and the status page.",
    ),
  rum_slo: z
    .strictObject({
      success_percent: z
        .number()
        .gt(0)
        .lt(100)
        .optional()
        .describe("Objective for the share of the vendor's resource loads in real users' browsers that succeed, in percent."),
      resource_time_ms: z
        .number()
        .positive()
        .optional()
        .describe('Objective for resource load time in real browsers: at least `resource_time_percent` of loads within this many milliseconds.'),
      resource_time_percent: z
        .number()
        .gt(0)
        .lt(100)
        .default(95)
        .describe('The share of loads, in percent, that must take at most `resource_time_ms` (95: its 95th percentile).'),
      min_page_views: z
        .number()
        .int()
        .min(1)
        .default(100)
        .describe("Page views that loaded the vendor needed in a burn-rate alert's long window before it may fire, so a handful of visits pages nobody."),
    })
    .refine((s) => s.success_percent !== undefined || s.resource_time_ms !== undefined, 'set success_percent, resource_time_ms or both')
    .optional()
    .describe(
      'Objectives for what real users get from this vendor (beacon data): RUM burn-rate alerts in `vendorwatch rules`, and the RUM figures of `vendorwatch report`.',
    ),
  runbook: z.url().optional().describe("Runbook URL, linked from this vendor's alerts (runbook_url), the status page and GET /v1/vendors."),
  dashboard: z.url().optional().describe('Dashboard URL for this vendor, linked from its alerts and the status page; replaces alerts.dashboard_url for it.'),
  status_page: z
    .url({ protocol: /^https?$/ })
    .optional()
    .describe(
      "The vendor's own status page (Statuspage format), shown beside what we measure: its /api/v2/status.json URL, or the page's base URL (/api/v2/status.json is then added).",
    ),
  consensus: consensusSchema
    .optional()
    .describe("Consensus knobs for this vendor's checks; each knob set here replaces the top-level one, and a check's own replaces it."),
  ...vendorSupportShape,
});
export type Vendor = z.infer<typeof vendorSchema>;

type KindCheckSchema = (typeof checkContracts)[CheckKind]['check'];
const [firstKind, ...otherKinds] = checkKinds.map((kind): KindCheckSchema => checkContracts[kind].check);
const checkSchema = z.discriminatedUnion('kind', [firstKind!, ...otherKinds]);
export type Check = z.infer<typeof checkSchema>;

const url = z.url({ protocol: /^https?$/ });

/** One Prometheus remote-write receiver a probe sends its metrics to (agent/probe/remoteWrite/). */
const remoteWriteSchema = z
  .strictObject({
    url: url.describe("The receiver's write endpoint, e.g. `http://prometheus:9090/api/v1/write` (Mimir: `/api/v1/push`, VictoriaMetrics: `/api/v1/write`)."),
    name: nameSchema
      .optional()
      .describe('The `target` label of this receiver on the remote-write metrics (default: its position in the list, from 0); never the URL.'),
    bearer_token_file: z.string().min(1).optional().describe('File holding a bearer token sent with every request (read at each request, so it can rotate).'),
    basic_auth: z
      .strictObject({
        username: z.string().min(1).describe('Basic-auth user name (Mimir: the tenant id).'),
        password_file: z.string().min(1).describe('File holding the password (read at each request).'),
      })
      .optional()
      .describe('Basic auth sent with every request; give this or bearer_token_file, not both.'),
    headers: z
      .record(z.string().regex(/^[A-Za-z0-9-]+$/), z.string())
      .default({})
      .describe('Extra request headers, e.g. `X-Scope-OrgID` for a multi-tenant Mimir.'),
    metrics: z
      .array(z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, { message: 'expected a metric family name' }))
      .optional()
      .describe(
        'Metric families to send, by name (a histogram by its family name); default: every family /metrics exposes. `vendorwatch rules` reads vendorwatch_check_success, vendorwatch_check_degraded, vendorwatch_check_runs_total and vendorwatch_check_duration_seconds.',
      ),
    interval: duration.prefault('10s').describe("How often the probe's metrics are sampled and queued for this receiver (its scrape interval)."),
    timeout: duration.prefault('10s').describe('How long one request may take before it counts as failed and is retried.'),
    queue: z
      .strictObject({
        max_samples: z
          .number()
          .int()
          .min(1000)
          .default(500_000)
          .describe('Samples waiting for this receiver, at most; beyond it the oldest are dropped (and counted).'),
        max_samples_per_send: z.number().int().min(100).max(50_000).default(2000).describe('Samples in one request, at most.'),
      })
      .prefault({})
      .describe('What waits while the receiver is slow or down: a bounded queue in memory (a probe restart loses it).'),
  })
  .refine((t) => !(t.bearer_token_file && t.basic_auth), { message: 'give bearer_token_file or basic_auth, not both' });
export type RemoteWriteTarget = z.infer<typeof remoteWriteSchema>;

/** The config as written, checked across keys; configSchema adds the effective settings. */
const writtenConfigSchema = z
  .strictObject({
    probe: z
      .strictObject({
        id: nameSchema.optional().describe('Probe id (default: the host name); `--id` overrides.'),
        region: nameSchema.default('local').describe('Probe region; `--region` overrides.'),
        concurrency: z.number().int().min(1).max(1000).default(32).describe('Checks run at once, at most.'),
        browser_concurrency: z.number().int().min(1).max(64).default(2).describe('Browser checks run at once, at most; each holds a Chromium context.'),
        spool_dir: z.string().default('data/spool').describe('Where results wait while no collector answers.'),
        // --- push (probe → collector) ---
        push_interval: duration.prefault('1s').describe('How often results are batched and pushed to every collector.'),
        push_max_batch_bytes: z
          .number()
          .int()
          .min(16 * 1024)
          .default(512 * 1024)
          .describe(
            "Largest push body, in bytes (JSON, sent uncompressed); keep it under every collector's collector.max_body_bytes. A result too large on its own is cut to fit.",
          ),
        spool_max_bytes: z
          .number()
          .int()
          .positive()
          .default(64 * 1024 * 1024)
          .describe('Spool size per collector, in bytes; the oldest results are dropped (and counted) beyond it.'),
        spool_max_results: z
          .number()
          .int()
          .positive()
          .default(200_000)
          .describe('Spooled results per collector; the oldest are dropped (and counted) beyond it.'),
        // --- remote write (probe → Prometheus, Mimir, Thanos Receive, VictoriaMetrics) ---
        remote_write: z
          .array(remoteWriteSchema)
          .default([])
          .describe(
            "Prometheus remote-write receivers the probe sends its metrics to (the series /metrics exposes, labelled with the probe's `probe` and `region`), so `vendorwatch rules` can run where they land without scraping the probe.",
          ),
      })
      .prefault({})
      .describe('Settings of a probe process: `vendorwatch probe`, and the probe inside `vendorwatch run`.'),
    collector: z
      .strictObject({
        token: z
          .string()
          .optional()
          .describe(
            'Bearer token probes present when pushing results (VENDORWATCH_TOKEN when unset). Without one a collector refuses every push; the probe inside `vendorwatch run` needs none.',
          ),
        journal: z
          .string()
          .default('data/journal.jsonl')
          .describe('File of the append-only journal (JSON lines) of state changes, incidents and alerts; replayed on start, so state survives restarts.'),
        max_body_bytes: z.number().int().positive().default(1_048_576).describe('Largest result push accepted, in bytes (larger: 413).'),
        // --- who may push what (see "Who may push what" in docs/operations.md) ---
        tokens: z
          .array(
            z
              .strictObject({
                token: z.string().min(1).describe('The bearer token (use ${VAR} to read it from the environment).'),
                regions: z.array(nameSchema).optional().describe('Regions whose probes this token may speak for.'),
                probes: z.array(nameSchema).optional().describe('Probe ids this token may speak for.'),
              })
              .refine((t) => t.regions?.length || t.probes?.length, { message: 'give the token regions or probes to speak for' }),
          )
          .default([])
          .describe('Bearer tokens that may speak only for some regions or probes (collector.token speaks for all).'),
        max_probes: z.number().int().positive().default(500).describe('Probes known at once, at most; results of new probe ids beyond it are refused.'),
        max_result_age: duration.prefault('7d').describe("Results that started longer ago than this (by the collector's clock) are refused."),
        max_result_ahead: duration.prefault('1m').describe("Results that start further ahead of the collector's clock than this are refused."),
        max_clock_skew: duration.prefault('30s').describe('A probe whose clock is off by more than this raises ProbeClockSkew.'),
        // --- consensus, vendor state, probe health ---
        evaluate_every: duration.prefault('1s').describe('How often consensus and vendor states are evaluated (also after every push).'),
        probe_down_after: duration
          .optional()
          .describe("A probe silent this long is probe_down (default: 3 × the shortest interval of its region's checks, at least 30s)."),
        probe_forget_after: duration.prefault('24h').describe('A probe silent this long is forgotten: its probe_down alert resolves.'),
        unhealthy_vendors: z
          .number()
          .int()
          .min(1)
          .default(2)
          .describe('A probe is probe_unhealthy when it fails checks of this many vendors that every peer passes.'),
        flapping: z
          .strictObject({
            window: duration
              .prefault('30m')
              .describe('Look-back for counting incidents; flapping ends once a whole window passes with no new incident and the vendor is operational.'),
            incidents: z.number().int().min(2).default(3).describe('Incidents opened within the window that make a vendor flapping.'),
          })
          .prefault({})
          .describe('A flapping vendor raises one VendorFlapping alert instead of one alert per incident; ProbeUnhealthy also holds for one window.'),
        incident_updates: z
          .strictObject({
            every: z
              .union([z.literal('off'), duration])
              .prefault('30m')
              .describe(
                "While an incident is open, how often its alert's webhook and Slack receivers get an update saying what changed since the last one; `off` for none. Alertmanager instead gets the update in the alert's annotations (its repeat_interval decides re-notification).",
              ),
          })
          .prefault({})
          .describe('Periodic updates on long incidents, until they resolve.'),
        // --- status page ---
        status_page: z
          .strictObject({
            refresh: duration.prefault('15s').describe('How often an open status page reloads itself.'),
            vendor_status_every: duration.prefault('1m').describe("How often vendors' own status pages (vendors[].status_page) are fetched."),
            vendor_status_timeout: duration.prefault('5s').describe("How long one fetch of a vendor's status page may take before it counts as unreachable."),
          })
          .prefault({})
          .describe('The status page the collector serves at GET /.'),
      })
      .prefault({})
      .describe('Settings of the collector process: `vendorwatch collector`, and the collector inside `vendorwatch run`.'),
    consensus: consensusSchema
      .prefault({})
      .describe("How probes' votes become a region's verdict, for every check; a vendor's or a check's own `consensus` replaces it knob by knob."),
    alerts: z
      .strictObject({
        alertmanager: z
          .strictObject({ url: url.describe('Alertmanager base URL; alerts go to `<url>/api/v2/alerts`.') })
          .optional()
          .describe('Alertmanager v2 API: active alerts re-sent before they expire, endsAt on resolve.'),
        webhook: z
          .strictObject({ url: url.describe('URL each alert is POSTed to as JSON.') })
          .optional()
          .describe('Generic JSON webhook: one POST per alert firing or resolved.'),
        slack: z
          .strictObject({ url: url.describe('Incoming-webhook URL (Slack, or anything that takes `{"text": ...}`).') })
          .optional()
          .describe('Slack-compatible incoming webhook: one message per alert firing or resolved.'),
        dashboard_url: url.optional().describe("Linked from every alert (a vendor's own `dashboard` wins)."),
        resend_interval: duration.prefault('1m').describe('Alertmanager: active alerts are re-sent this often, each valid for 4 × this interval.'),
      })
      .prefault({})
      .describe('Where alerts go; any combination of receivers. With none, state changes are still journaled and exported as metrics.'),
    rum: rumSchema.prefault({}).describe('Real-user monitoring: what the beacon in your pages does and what the collector accepts from it.'),
    vendors: z
      .array(vendorSchema)
      .min(1)
      .describe('The vendor registry: each vendor defined once, used by checks, consensus, alerts, RUM attribution and SLA reports.'),
    checks: z.array(checkSchema).prefault([]).describe('What the probes run; each check watches one vendor, and its `kind` decides its other keys.'),
  })
  .superRefine((config, ctx) => {
    const vendors = new Set<string>();
    config.vendors.forEach((v, i) => {
      if (vendors.has(v.name)) ctx.addIssue({ code: 'custom', path: ['vendors', i, 'name'], message: `duplicate vendor "${v.name}"` });
      vendors.add(v.name);
    });
    const checks = new Set<string>();
    config.checks.forEach((c, i) => {
      if (checks.has(c.name)) ctx.addIssue({ code: 'custom', path: ['checks', i, 'name'], message: `duplicate check "${c.name}"` });
      checks.add(c.name);
      if (!vendors.has(c.vendor)) {
        ctx.addIssue({
          code: 'custom',
          path: ['checks', i, 'vendor'],
          message: `unknown vendor "${c.vendor}" ${didYouMean(c.vendor, [...vendors]) || '(not in vendors)'}`,
        });
      }
      if (c.timeout > c.interval) {
        ctx.addIssue({ code: 'custom', path: ['checks', i, 'timeout'], message: 'timeout must not exceed the interval' });
      }
      if (c.kind === 'browser') {
        for (const v of Object.keys(c.thresholds.vendors)) {
          if (!vendors.has(v) && v !== 'other') {
            ctx.addIssue({
              code: 'custom',
              path: ['checks', i, 'thresholds', 'vendors', v],
              message: `unknown vendor "${v}" ${didYouMean(v, [...vendors, 'other']) || '(not in vendors)'}`,
            });
          }
        }
      }
    });
  });

export const configSchema = writtenConfigSchema.transform((config) => ({ ...config, effective: resolveEffective(config) }));
export type Config = z.infer<typeof configSchema>;

/** Every default that depends on other keys, resolved once (the rules are in effective.ts). */
function resolveEffective(config: z.infer<typeof writtenConfigSchema>): Effective {
  const vendors = new Map(config.vendors.map((v) => [v.name, v]));
  const checks = Object.fromEntries(
    config.checks.map((c) => [
      c.name,
      checkSettings({ check: c.consensus, vendor: vendors.get(c.vendor)?.consensus, top_level: config.consensus }, c.interval),
    ]),
  );
  const configured = config.collector.probe_down_after;
  const downAfter = (region: string) => configured ?? defaultProbeDownAfter(checksForRegion(config.checks, region).map((c) => c.interval));
  // A region named by no check runs just the checks without `regions`, as the empty name does.
  const named = [...new Set(config.checks.flatMap((c) => c.regions ?? []))];
  const vendorSettingsByName = Object.fromEntries(
    config.vendors.map((v) => {
      const intervals = config.checks.filter((c) => c.vendor === v.name).map((c) => c.interval);
      return [v.name, vendorSettings(v.consensus, config.consensus, intervals, config.probe.push_interval)];
    }),
  );
  return {
    checks,
    vendors: vendorSettingsByName,
    probe_down_after: {
      regions: Object.fromEntries(named.map((r) => [r, downAfter(r)])),
      other: downAfter(''),
      from: configured === undefined ? 'default' : 'collector',
    },
    warm_up: Math.max(0, ...Object.values(vendorSettingsByName).map((v) => v.warm_up)),
  };
}
