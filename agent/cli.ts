import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { Command, Option } from 'commander';
import { DEFAULT_CONFIG } from '../config/defaultConfig.ts';
import type { Config } from '../config/schema.ts';
import type { CheckResult } from '../config/result.ts';
import { didYouMean } from '../config/spelling.ts';
import type { Logger } from './log.ts';
import { logFormats } from './logFormats.ts';
import { reportFormats, type ReportFormat } from './report/formats.ts';
import type { RunningServer, Routes } from './server.ts';
import { textTable } from './textTable.ts';

// Start-up time is what `vendorwatch check` in a script or cron job pays on every run, and
// `--version` or `--help` should cost little more than Node itself: nothing above imports more
// than a list of names. Each command's action imports what it needs (`await import`), and what
// nearly every command needs is loaded just before any action runs (`preAction` below).
//
// A metric family is registered when the module declaring it loads, so the probe's and the
// collector's modules are loaded only by the commands that run them (below, with `await import`):
// a collector's /metrics has no probe families, a probe's no collector or RUM ones.

/** The logger and the config loader: loaded by `preAction`, before any command's action runs. */
let log: typeof import('./log.ts');
let configFile: typeof import('../config/load.ts');
/** The HTTP server's module, once a command with --listen is about to run. */
let server: typeof import('./server.ts') | undefined;

const loadConfig = (file: string): Config => configFile.loadConfig(file);

/** Exit codes scripts can rely on (README.md, Commands). */
const EXIT = { ok: 0, checkFailed: 1, badConfig: 2, error: 3 } as const;

/** Names the user gave that the config does not have, one line each with the closest it does have. */
function refuseUnknown(what: string, given: string[], known: string[]): void {
  const unknown = given.filter((n) => !known.includes(n));
  if (!unknown.length) return;
  for (const n of unknown) process.stderr.write(`vendorwatch: unknown ${what} "${n}" ${didYouMean(n, known) || `(${what}s: ${known.join(', ')})`}\n`);
  process.exit(EXIT.badConfig);
}

/**
 * The last word on an error nothing else handled (a ConfigError from any command included): one
 * line of reason and an exit code, the stack only at debug level (an address or file the user can
 * fix needs no stack; a bug report does).
 */
function exitWith(err: unknown): never {
  if (configFile && err instanceof configFile.ConfigError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(EXIT.badConfig);
  }
  const message = err instanceof Error ? err.message : String(err);
  if (server && err instanceof server.ListenError) {
    process.stderr.write(`vendorwatch: ${message}\n`);
    process.exit(err.kind === 'badAddress' ? EXIT.badConfig : EXIT.error);
  }
  const debug = ['debug', 'trace'].includes(process.env.VENDORWATCH_LOG_LEVEL ?? '');
  process.stderr.write(`vendorwatch: unexpected error: ${message}${debug ? '' : ' (VENDORWATCH_LOG_LEVEL=debug shows where)'}\n`);
  if (debug) process.stderr.write(`${err instanceof Error ? err.stack : message}\n`);
  process.exit(EXIT.error);
}

const configOption = () => new Option('-c, --config <file>', 'config file').default(DEFAULT_CONFIG);
const listenOption = () => new Option('-l, --listen <host:port>', 'address for /metrics, /healthz and the API').default('0.0.0.0:9797');

function probeIdentity(config: Config, opts: { id?: string; region?: string }) {
  const id =
    opts.id ??
    config.probe.id ??
    (hostname()
      .toLowerCase()
      .replace(/[^a-z0-9_.-]/g, '-')
      .slice(0, 63) ||
      'probe');
  return { id, region: opts.region ?? config.probe.region };
}

/** Runs until SIGTERM or SIGINT, then stops cleanly: in-flight checks aborted, results flushed, exit 0. */
function untilSignal(logger: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    stop()
      .then(() => process.exit(EXIT.ok))
      .catch((err) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(EXIT.error);
      });
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/** The line to look for at start: where the status page and the metrics are. */
function announce(logger: Logger, server: RunningServer, statusPage: boolean): void {
  const metrics = `${server.url}/metrics`;
  if (statusPage) logger.info(`status page ${server.url}/ · metrics ${metrics}`);
  else logger.info(`metrics ${metrics}`);
}

/** What would leave a started process watching nothing, said once at start. */
function warnIfUseless(config: Config, logger: Logger, mode: 'run' | 'probe' | 'collector'): void {
  // The schema requires a vendor, but not a check.
  if (!config.checks.length) logger.warn('the config has no checks: nothing is watched');
  // `run` feeds its own probe's results in process; only a separate collector needs a token to take pushes.
  const token = config.collector.token || process.env.VENDORWATCH_TOKEN || config.collector.tokens.length;
  if (mode === 'collector' && !token)
    logger.warn('no collector token (collector.token, VENDORWATCH_TOKEN or collector.tokens): every push from a probe is refused with 401');
}

/** Where a probe's results go besides its own /metrics, and what else its process serves. */
interface ProbeOutput {
  deliver?: (result: CheckResult) => void;
  routes?: Routes;
  /** Runs on shutdown after the scheduler has stopped (flush pushes, stop the collector). */
  stop?: () => Promise<void>;
}

async function startProbe(config: Config, opts: { id?: string; region?: string; listen: string }, logger: Logger, output: ProbeOutput = {}) {
  const { Scheduler } = await import('./probe/scheduler.ts');
  const { closeRunners, configureRunners, loadRunners } = await import('./probe/checks/index.ts');
  const { exposeProbeClock, recordCheckResult } = await import('./probe/metrics.ts');
  const { CheckOutcomeLog } = await import('./probe/outcomeLog.ts');
  const { checksForRegion } = await import('../config/checks/regions.ts');
  const probe = probeIdentity(config, opts);
  exposeProbeClock(probe.id, probe.region);
  const checks = checksForRegion(config.checks, probe.region);
  configureRunners({ logger, browserConcurrency: config.probe.browser_concurrency });
  await loadRunners(checks.map((c) => c.kind));
  const outcomes = new CheckOutcomeLog(logger, checks.length);
  const scheduler = new Scheduler({
    checks,
    vendors: config.vendors,
    probe,
    logger,
    concurrency: config.probe.concurrency,
    onResult: (result: CheckResult) => {
      recordCheckResult(result);
      logger.debug({ result }, 'check result');
      outcomes.note(result);
      output.deliver?.(result);
    },
  });
  const running: RunningServer = await server!.startServer({ listen: opts.listen, logger, routes: output.routes });
  const remoteWrite = await startRemoteWrite(config, probe, logger);
  scheduler.start();
  logger.info({ probe, checks: checks.length }, 'probe started');
  announce(logger, running, output.routes !== undefined);
  untilSignal(logger, async () => {
    await scheduler.stop();
    await closeRunners();
    await remoteWrite?.stop(PUSH_FLUSH_MS);
    await output.stop?.();
    await running.close();
  });
}

/** Remote write of the probe's metrics to the receivers in probe.remote_write, if any. */
async function startRemoteWrite(config: Config, probe: { id: string; region: string }, logger: Logger) {
  if (!config.probe.remote_write.length) return undefined;
  const { RemoteWrite } = await import('./probe/remoteWrite/remoteWrite.ts');
  const remoteWrite = new RemoteWrite(config.probe.remote_write, { probe: probe.id, region: probe.region }, logger);
  remoteWrite.start();
  return remoteWrite;
}

// --- collector and push wiring ---

/** Seconds a stopping probe keeps trying to deliver what is left (the rest stays spooled). */
const PUSH_FLUSH_MS = 5000;

async function pushOutput(config: Config, collectors: string | undefined, probeId: string, logger: Logger): Promise<ProbeOutput> {
  const urls = (collectors ?? '')
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean);
  if (!urls.length) {
    logger.warn('no --collector given: results are only exposed on /metrics');
    return {};
  }
  for (const u of urls) {
    if (!/^https?:\/\/[^/]+/.test(u)) {
      process.stderr.write(`--collector expects http(s) base URLs, comma-separated; got "${u}"\n`);
      process.exit(EXIT.badConfig);
    }
  }
  const token = config.collector.token || process.env.VENDORWATCH_TOKEN || undefined;
  if (!token) logger.warn('no collector token (collector.token or VENDORWATCH_TOKEN): collectors will refuse the pushes');
  const { spool_dir, push_interval, push_max_batch_bytes, spool_max_bytes, spool_max_results } = config.probe;
  const { Push } = await import('./probe/push.ts');
  const push = new Push({
    collectors: urls,
    token,
    probeId,
    spoolDir: spool_dir,
    intervalMs: push_interval,
    maxBatchBytes: push_max_batch_bytes,
    maxBytes: spool_max_bytes,
    maxResults: spool_max_results,
    logger,
  });
  push.start();
  return { deliver: (r) => push.add(r), stop: () => push.stop(PUSH_FLUSH_MS) };
}

async function collectorOutput(config: Config, logger: Logger): Promise<ProbeOutput & Required<Pick<ProbeOutput, 'stop'>>> {
  const { startCollector } = await import('./collector/start.ts');
  const { beaconRoutes } = await import('./collector/rum/routes.ts');
  const running = startCollector(config, logger);
  // In-process: results go straight to ingest, no HTTP, no token.
  return {
    deliver: (r) => running.ingest.accept([r]),
    routes: { ...running.routes, ...beaconRoutes(config, logger, { rumHours: running.rumHours, impact: running.realUsers }) },
    stop: running.stop,
  };
}

/**
 * Exits as soon as stdout and stderr have taken everything written. A one-shot command has
 * nothing left to wait for, yet Node would idle until closed sockets are released and V8's
 * background tasks finish (100 ms or more at exit on a loaded machine).
 */
function exitFlushed(code: number): Promise<never> {
  return new Promise(() => {
    let open = 2;
    const flushed = () => --open === 0 && process.exit(code);
    process.stdout.write('', flushed);
    process.stderr.write('', flushed);
  });
}

const resultWord = (r: CheckResult) => (r.ok ? (r.degraded ? 'DEGRADED' : 'OK') : 'FAIL');
const seconds = (r: CheckResult) => (r.phases.total === undefined ? 'no time' : `${r.phases.total.toFixed(2)}s`);

function printTable(results: CheckResult[]): void {
  const rows = [['CHECK', 'VENDOR', 'KIND', 'RESULT', 'REASON', 'TOTAL', 'MESSAGE']];
  for (const r of results) {
    const total = r.phases.total === undefined ? '-' : `${(r.phases.total * 1000).toFixed(0)}ms`;
    rows.push([r.check, r.vendor, r.kind, resultWord(r), r.reason, total, r.message]);
  }
  process.stdout.write(textTable(rows));
}

const program = new Command('vendorwatch')
  .description('Watch the third parties your site depends on (CDNs, DNS, vendor APIs) as if they were your own services.')
  .version('0.1.0')
  .showHelpAfterError('(add --help for usage)')
  .configureOutput({ writeErr: (s) => process.stderr.write(s) })
  .exitOverride((err) => process.exit(err.exitCode === 0 ? EXIT.ok : EXIT.badConfig))
  .hook('preAction', async (_program, command) => {
    [log, configFile] = await Promise.all([import('./log.ts'), import('../config/load.ts')]);
    // A bad --listen is refused before anything starts, not once the collector is half up.
    const { listen } = command.opts<{ listen?: string }>();
    if (listen === undefined) return;
    server = await import('./server.ts');
    server.parseListen(listen);
  })
  .addOption(
    new Option('--log-format <format>', 'log lines on stderr (default: pretty at a terminal, else json; env VENDORWATCH_LOG_FORMAT)').choices(logFormats),
  );

/** A command's logger, in the format --log-format or VENDORWATCH_LOG_FORMAT chose. */
function commandLogger(level?: string): Logger {
  try {
    return log.createLogger(level, log.chooseLogFormat(program.opts<{ logFormat?: string }>().logFormat));
  } catch (err) {
    process.stderr.write(`VENDORWATCH_LOG_FORMAT: ${(err as Error).message}\n`);
    process.exit(EXIT.badConfig);
  }
}

program
  .command('run')
  .description('all-in-one: one probe and the collector in one process (the default deployment)')
  .addOption(configOption())
  .addOption(listenOption())
  .option('--id <probe>', 'probe id (default: config probe.id or the host name)')
  .option('--region <region>', 'probe region (default: config probe.region)')
  .action(async (opts) => {
    const logger = commandLogger();
    const config = loadConfig(opts.config);
    warnIfUseless(config, logger, 'run');
    const lonely = config.checks.filter((c) => config.effective.checks[c.name].min_probes > 1);
    if (lonely.length) {
      logger.warn(
        { checks: lonely.map((c) => c.name) },
        '`run` is a single probe, but these checks need min_probes > 1: their verdicts stay unknown (set consensus.min_probes: 1)',
      );
    }
    await startProbe(config, opts, logger, await collectorOutput(config, logger));
  });

program
  .command('probe')
  .description('run checks on schedule and push results to one or more collectors')
  .addOption(configOption())
  .addOption(listenOption())
  .requiredOption('--region <region>', 'region this probe runs in')
  .option('--id <probe>', 'probe id (default: the host name)')
  .option('--collector <urls>', 'collector base URLs, comma-separated; results are pushed to every one')
  .action(async (opts) => {
    const logger = commandLogger();
    const config = loadConfig(opts.config);
    warnIfUseless(config, logger, 'probe');
    await startProbe(config, opts, logger, await pushOutput(config, opts.collector, probeIdentity(config, opts).id, logger));
  });

program
  .command('collector')
  .description('ingest probe results, decide vendor states by consensus, alert, aggregate RUM')
  .addOption(configOption())
  .addOption(listenOption())
  .action(async (opts) => {
    const logger = commandLogger();
    const config = loadConfig(opts.config);
    warnIfUseless(config, logger, 'collector');
    const { routes, stop } = await collectorOutput(config, logger);
    const running = await server!.startServer({ listen: opts.listen, logger, routes });
    announce(logger, running, true);
    untilSignal(logger, async () => {
      await stop();
      await running.close();
    });
  });

program
  .command('check')
  .description('run checks once and exit 0 only if all passed')
  .argument('[names...]', 'checks to run (default: all)')
  .addOption(configOption())
  .option('--json', 'print one CheckResult JSON per line')
  .option('--id <probe>', 'probe id to report', 'cli')
  .option('--region <region>', 'probe region to report')
  .option('--suite <vendor>', "run the vendor's http checks against production and against --connect-to, and print the differences (exit 1 on a regression)")
  .option('--connect-to <host[:port]>', 'with --suite: the staging edge to connect to, keeping the URLs, Host and SNI')
  .option('--warm', 'with --suite: run every check once on both sides first, so both caches are warm')
  .action(async (names: string[], opts) => {
    const logger = commandLogger(process.env.VENDORWATCH_LOG_LEVEL ?? 'warn');
    const config = loadConfig(opts.config);
    if (opts.suite !== undefined || opts.connectTo !== undefined) {
      const { runSuite } = await import('./probe/checks/http/suite.ts');
      const suite = { vendor: opts.suite, connectTo: opts.connectTo, names, warm: Boolean(opts.warm), json: Boolean(opts.json) };
      return exitFlushed(await runSuite(config, suite, probeIdentity(config, opts), logger));
    }
    refuseUnknown(
      'check',
      names,
      config.checks.map((c) => c.name),
    );
    const probe = probeIdentity(config, opts);
    const chosen = names.length ? config.checks.filter((c) => names.includes(c.name)) : config.checks;
    const { Scheduler } = await import('./probe/scheduler.ts');
    const { closeRunners, configureRunners, loadRunners } = await import('./probe/checks/index.ts');
    configureRunners({ logger, browserConcurrency: config.probe.browser_concurrency });
    await loadRunners(chosen.map((c) => c.kind));
    const scheduler = new Scheduler({ checks: [], vendors: config.vendors, probe, logger, concurrency: config.probe.concurrency, onResult: () => {} });
    const results: CheckResult[] = [];
    await Promise.all(
      chosen.map(async (check) => {
        const result = await scheduler.runOnce(check);
        if (!result) return;
        results.push(result);
        // Progress as each check finishes, on stderr so stdout stays the table or pure JSON lines.
        process.stderr.write(`${result.check}: ${resultWord(result)}${result.ok ? '' : ` ${result.reason}`} (${seconds(result)})\n`);
        if (opts.json) process.stdout.write(`${JSON.stringify(result)}\n`);
      }),
    );
    await closeRunners();
    if (!opts.json) printTable(chosen.map((c) => results.find((r) => r.check === c.name)!).filter(Boolean));
    return exitFlushed(results.every((r) => r.ok) ? EXIT.ok : EXIT.checkFailed);
  });

program
  .command('validate')
  .description('check a config file; errors name file:line:column and the config path')
  .addOption(configOption())
  .option('--effective', 'also print the settings each check runs with once defaults are resolved, and where each consensus knob came from')
  .option('--json', 'with --effective: print them as JSON instead')
  .action(async (opts: { config: string; effective?: boolean; json?: boolean }) => {
    if (opts.json && !opts.effective) {
      process.stderr.write('--json goes with --effective\n');
      process.exit(EXIT.badConfig);
    }
    const config = loadConfig(opts.config);
    const { effectiveSettingsJson, effectiveSettingsTable } = await import('./effectiveSettings.ts');
    if (opts.json) return void process.stdout.write(effectiveSettingsJson(config));
    process.stdout.write(`${opts.config}: ok (${config.vendors.length} vendors, ${config.checks.length} checks)\n`);
    if (opts.effective) process.stdout.write(`\n${effectiveSettingsTable(config)}`);
  });

program
  .command('schema')
  .description('print the config JSON Schema (for editor completion and checking)')
  .option('--markdown', 'print the configuration reference (docs/configuration.md) instead')
  .action(async (opts: { markdown?: boolean }) => {
    const { configJsonSchema } = await import('../config/jsonSchema.ts');
    const { configReference } = await import('../config/reference.ts');
    process.stdout.write(opts.markdown ? configReference(configJsonSchema()) : `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
  });

// --- operator surfaces: Prometheus rules and Grafana dashboard ---

program
  .command('rules')
  .description('print Prometheus recording and alerting rules (YAML) that compute consensus and vendor states from probe metrics')
  .addOption(configOption())
  .action(async (opts) => {
    const { prometheusRulesYaml } = await import('./prometheusRules.ts');
    process.stdout.write(prometheusRulesYaml(loadConfig(opts.config), opts.config));
  });

program
  .command('dashboard')
  .description('print a Grafana dashboard (JSON) for the vendors: state, availability and latency first, then checks, probes and RUM')
  .addOption(configOption())
  .action(async (opts) => {
    const { grafanaDashboard } = await import('./grafanaDashboard.ts');
    process.stdout.write(`${JSON.stringify(grafanaDashboard(loadConfig(opts.config)), null, 2)}\n`);
  });

// --- SLA report ---

program
  .command('report')
  .description('SLA report: measured availability and latency per vendor against its SLA, with the incidents that breached it')
  .addOption(configOption())
  .option('--vendor <name>', 'only this vendor')
  .option('--month <YYYY-MM>', 'a calendar month (UTC)')
  .option('--from <iso>', 'start of the period (ISO 8601)')
  .option('--to <iso>', 'end of the period (ISO 8601, exclusive; default now)')
  .addOption(new Option('--format <format>', 'output format').choices(reportFormats).default('md'))
  .option('--journal <file>', 'journal to read (default: collector.journal from the config)')
  .action(async (opts: { config: string; vendor?: string; month?: string; from?: string; to?: string; format: ReportFormat; journal?: string }) => {
    const logger = commandLogger(process.env.VENDORWATCH_LOG_LEVEL ?? 'warn');
    const config = loadConfig(opts.config);
    const now = Date.now();
    const { reportPeriod, slaReport } = await import('./report/sla.ts');
    const { renderReport } = await import('./report/render.ts');
    let period;
    try {
      period = reportPeriod(opts, now);
    } catch (err) {
      process.stderr.write(`${(err as Error).message}\n`);
      process.exit(EXIT.badConfig);
    }
    refuseUnknown(
      'vendor',
      opts.vendor === undefined ? [] : [opts.vendor],
      config.vendors.map((v) => v.name),
    );
    const vendors = opts.vendor === undefined ? config.vendors : config.vendors.filter((v) => v.name === opts.vendor);
    const journalFile = opts.journal ?? config.collector.journal;
    if (!existsSync(journalFile)) process.stderr.write(`no journal at ${journalFile}: nothing was measured (see --journal)\n`);
    const { Journal } = await import('./collector/journal.ts');
    const { hourlyPath, readHourLines } = await import('./collector/hourlyResults.ts');
    const events = new Journal(journalFile, logger).read();
    const hoursFile = hourlyPath(journalFile);
    const hours = readHourLines(hoursFile, (line) => logger.warn({ file: hoursFile, line }, 'skipping an unreadable line'));
    const { readRumHourLines, rumHourlyPath } = await import('./collector/rum/hourly.ts');
    const rumFile = rumHourlyPath(journalFile);
    const rumHours = readRumHourLines(rumFile, (line) => logger.warn({ file: rumFile, line }, 'skipping an unreadable line'));
    process.stdout.write(renderReport(slaReport(config, events, hours, period, now, vendors, rumHours), opts.format, journalFile));
  });

// --- working with the vendor: evidence packs and incident notes (agent/incidentCli.ts, talking to a collector's API) ---

const collectorUrlOption = () => new Option('--collector <url>', "the collector's base URL").default('http://127.0.0.1:9797');

/** Runs an incident command; its errors end in one line and exit 2 (bad arguments) or 3. */
async function incidentCommand(run: () => Promise<string>): Promise<void> {
  const { IncidentCliError } = await import('./incidentCli.ts');
  try {
    process.stdout.write(await run());
  } catch (err) {
    if (!(err instanceof IncidentCliError)) throw err;
    process.stderr.write(`vendorwatch: ${err.message}\n`);
    process.exit(err.badArguments ? EXIT.badConfig : EXIT.error);
  }
}

program
  .command('evidence')
  .description(
    "print an incident's evidence pack for the vendor's support desk: timeline, failing runs per region and probe, what the vendor's status page said, real-user impact",
  )
  .argument('<incident>', 'incident id (GET /v1/incidents)')
  .addOption(collectorUrlOption())
  .addOption(new Option('--format <format>', 'output format').choices(['md', 'json']).default('md'))
  .action(async (id: string, opts: { collector: string; format: 'md' | 'json' }) => {
    const { fetchEvidence } = await import('./incidentCli.ts');
    await incidentCommand(() => fetchEvidence(opts.collector, id, opts.format));
  });

program
  .command('incident')
  .description('work on incidents')
  .command('note')
  .description(
    'add to an incident for its postmortem: a note, owner, root cause, vendor ticket, follow-up (journaled, shown on the status page and in reports)',
  )
  .argument('<incident>', 'incident id (GET /v1/incidents)')
  .argument('[text]', 'the note')
  .option('--author <name>', 'who writes the note')
  .option('--owner <name>', 'who owns the incident now')
  .option('--root-cause <text>', 'the root cause as known now')
  .option('--ticket <ref>', "the vendor's ticket reference")
  .option('--follow-up <text>', 'a follow-up action')
  .addOption(collectorUrlOption())
  .option('--token-file <file>', "file holding the collector's token (default: collector.token from --config, else VENDORWATCH_TOKEN)")
  .addOption(configOption())
  .action(async (id: string, text: string | undefined, opts: Record<string, string | undefined>) => {
    const { addNote, noteToken } = await import('./incidentCli.ts');
    const configToken = opts.tokenFile === undefined && existsSync(opts.config!) ? loadConfig(opts.config!).collector.token : undefined;
    await incidentCommand(() =>
      addNote(opts.collector!, id, noteToken(opts.tokenFile, configToken), {
        text,
        author: opts.author,
        owner: opts.owner,
        root_cause: opts.rootCause,
        ticket: opts.ticket,
        follow_up: opts.followUp,
      }),
    );
  });

// --- demo: a lab of simulated vendors, probes and a collector on loopback (lab/demo.ts) ---

program
  .command('demo')
  .description('a lab of simulated vendors on loopback, four probes in three regions and a collector; a script of faults plays out and recovers')
  .option('-c, --config <file>', 'demo config; its ${VW_DEMO_*} addresses are filled in at runtime (default: config/demo.yaml)')
  .option('--speed <factor>', 'play the script this many times faster (pauses and holds; detection is never sped up)', '1')
  .option('--scenario <steps>', 'comma-separated script steps to play, in this order (default: all; see the Demo section of README.md)')
  .option('--alertmanager <url>', 'also send alerts to this Alertmanager')
  .option('--dir <path>', 'where the config as run, the journal, spools and logs go (default: a new temp dir)')
  .option('-l, --listen <host:port>', "where the demo's collector listens (default: $VW_DEMO_COLLECTOR, else the config's, or a free port if that is busy)")
  .action(async (opts) => {
    const { DEMO_CONFIG, DemoError, runDemo } = await import('../lab/demo.ts').catch((err: Error) => {
      // The production image ships agent/ but not lab/.
      process.stderr.write(`the demo needs a source checkout with lab/ (${err.message})\n`);
      process.exit(EXIT.error);
    });
    try {
      const code = await runDemo({
        config: opts.config ?? DEMO_CONFIG,
        speed: Number(opts.speed),
        scenario: opts.scenario
          ?.split(',')
          .map((s: string) => s.trim())
          .filter(Boolean),
        alertmanager: opts.alertmanager,
        dir: opts.dir,
        collector: opts.listen ?? process.env.VW_DEMO_COLLECTOR,
      });
      process.exit(code);
    } catch (err) {
      if (!(err instanceof DemoError || err instanceof configFile.ConfigError)) throw err;
      process.stderr.write(`${err.message}\n`);
      process.exit(EXIT.badConfig);
    }
  });

process.on('uncaughtException', exitWith);
process.on('unhandledRejection', exitWith);
// Not awaited: the CommonJS build (bin/build.js) has no top-level await; errors end in exitWith all the same.
program.parseAsync(process.argv).catch(exitWith);
