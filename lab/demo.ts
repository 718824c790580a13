/**
 * `vendorwatch demo`: a lab of simulated vendors on loopback, real probe and collector processes
 * watching it, and a script of faults that plays out and recovers while the terminal narrates.
 *
 *   lab (this process)     edgeco: a caching edge (cdn-edge.ts) in front of an origin (cdn-origin.ts)
 *                          dns-alpha, dns-beta: two authoritative providers of demo.test (dns-faults.ts)
 *                          payco: charges, configuration API, reporting API (shop.ts), and the shop,
 *                          whose pages load edgeco's assets and carry the RUM beacon
 *                          the console's alert receiver (demo-console.ts)
 *   `vendorwatch probe` ×4 eu-1, eu-2 in eu-west; us-1 in us-east; ap-1 in ap-south; they push
 *                          to the collector over HTTP with a bearer token, like any deployment
 *   `vendorwatch collector` consensus, vendor states, alerts (to the console, and Alertmanager)
 *
 * The addresses live in the config (config/demo.yaml) as ${VW_DEMO_EDGE:-127.0.0.1:19780} and
 * the like: the default there is the port the demo takes, unless it is busy, in which case the
 * demo takes a free one and passes it to the processes through that variable.
 *
 * Each step of the script switches a fault on, waits until the collector shows what it should
 * (so a slow machine only makes the demo slower, never wrong), holds it a while, switches it off
 * and waits until every vendor is operational again.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createTcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { loadConfig } from '../config/load.ts';
import { parseListen } from '../agent/server.ts';
import type { Config } from '../config/schema.ts';
import { didYouMean } from '../config/spelling.ts';
import { startCdnEdge, type CdnEdge } from './cdn-edge.ts';
import { startCdnOrigin, type CdnOrigin } from './cdn-origin.ts';
import { alertReceiver, bold, CollectorWatch, dim, notificationCount, say, type AlertReceiver, type Snapshot } from './demo-console.ts';
import { startDnsFaultServer, type DnsFaultServer } from './dns-faults.ts';
import { freePort } from './server.ts';
import { startShop, type Shop } from './shop.ts';
import { startVisitors } from './visitors.ts';

const CLI = resolve(import.meta.dirname, '../bin/vendorwatch.js');
export const DEMO_CONFIG = resolve(import.meta.dirname, '../config/demo.yaml');
/** What the collector serves as /beacon.js (built by `npm run build:beacon`). */
const BEACON_SCRIPT = resolve(import.meta.dirname, '../beacon/dist/beacon.js');

/** Four probes in three regions: eu-west has two, so one bad probe there cannot fail the region alone. */
const PROBES = [
  { id: 'eu-1', region: 'eu-west' },
  { id: 'eu-2', region: 'eu-west' },
  { id: 'us-1', region: 'us-east' },
  { id: 'ap-1', region: 'ap-south' },
] as const;

/** The variables config/demo.yaml takes the lab's addresses from. */
const ADDRESS_VARS = {
  collector: 'VW_DEMO_COLLECTOR',
  edge: 'VW_DEMO_EDGE',
  payco: 'VW_DEMO_PAYCO',
  shop: 'VW_DEMO_SHOP',
  dnsAlpha: 'VW_DEMO_DNS_ALPHA',
  dnsBeta: 'VW_DEMO_DNS_BETA',
  alerts: 'VW_DEMO_ALERTS',
} as const;
type Place = keyof typeof ADDRESS_VARS;

/** The simulated shoppers: from each probe region, the country their CDN reports (config/demo.yaml's rum.regions). */
const SHOPPERS = [
  { region: 'eu-west', country: 'DE' },
  { region: 'us-east', country: 'US' },
  { region: 'ap-south', country: 'IN' },
] as const;

/** The zone both DNS providers serve, its A answer and its first serial. */
const ZONE = { answer: '192.0.2.10', serial: 2026112101 };

/** Script timing at speed 1, in ms. Waiting for the collector is never sped up. */
const TIMING = { pause: 5000, hold: 15_000, detectTimeout: 60_000, recoverTimeout: 60_000, startTimeout: 120_000 };

interface DemoOptions {
  /** The demo config (default config/demo.yaml). */
  config: string;
  /** Play the script this many times faster (holds and pauses only). */
  speed: number;
  /** Steps to play, by name, in this order (default: all). */
  scenario?: string[];
  /** Also send alerts to this Alertmanager. */
  alertmanager?: string;
  /** Where the effective config, journal, spools and logs go (default: a new temp dir). */
  dir?: string;
  /** HOST:PORT the collector listens on, as the user chose it (--listen or VW_DEMO_COLLECTOR); default: the config's, or a free port if that is busy. */
  collector?: string;
}

export class DemoError extends Error {}

// --- the lab ---

interface Lab {
  origin: CdnOrigin;
  edge: CdnEdge;
  shop: Shop;
  dnsAlpha: DnsFaultServer;
  dnsBeta: DnsFaultServer;
  receiver: AlertReceiver;
  /** The loopback address everything listens on. */
  host: string;
  /** The serial both providers should serve (the script bumps it). */
  zone: { serial: number };
  /** host:port of every place, as the config gets it. */
  addresses: Record<Place, string>;
  close(): Promise<void>;
}

/** The loopback host and port config/demo.yaml gives as a variable's default. */
function defaultAddress(configText: string, variable: string): { host: string; port: number } {
  const m = new RegExp(`\\$\\{${variable}:-([^}:]+):(\\d+)\\}`).exec(configText);
  if (!m) throw new DemoError(`the demo config does not use \${${variable}:-127.0.0.1:PORT}; the demo cannot tell its processes where that is`);
  if (!/^127\.|^localhost$/.test(m[1]!)) throw new DemoError(`\${${variable}} defaults to ${m[1]}: the demo only listens on loopback (127.0.0.0/8)`);
  return { host: m[1] === 'localhost' ? '127.0.0.1' : m[1]!, port: Number(m[2]) };
}

function canListen(port: number, host: string, udp = false): Promise<boolean> {
  return new Promise((done) => {
    if (udp) {
      const socket = createSocket('udp4');
      socket.once('error', () => done(false));
      return socket.bind(port, host, () => socket.close(() => done(true)));
    }
    const server = createTcpServer();
    server.once('error', () => done(false));
    server.listen(port, host, () => server.close(() => done(true)));
  });
}

/** The wanted port if it is free (TCP, and UDP too for DNS), else one the system picks (0), said aloud. */
async function portFor(place: Place, wanted: { host: string; port: number }, udp = false): Promise<number> {
  if ((await canListen(wanted.port, wanted.host)) && (!udp || (await canListen(wanted.port, wanted.host, true)))) return wanted.port;
  say(dim(`port ${wanted.port} (${place}) is busy; using a free one`));
  return 0;
}

/** The collector's address: the user's choice as given (if it is busy, the collector says so), else the config's default or a free port. */
async function collectorAddress(configText: string, chosen: string | undefined): Promise<string> {
  if (chosen !== undefined) return chosen;
  const wanted = defaultAddress(configText, ADDRESS_VARS.collector);
  return `${wanted.host}:${(await canListen(wanted.port, wanted.host)) ? wanted.port : await freePort(wanted.host)}`;
}

async function startLab(configText: string, collector: string): Promise<Lab> {
  const want = (place: Place) => defaultAddress(configText, ADDRESS_VARS[place]);
  const host = want('edge').host;
  const origin = await startCdnOrigin({ host, name: 'edgeco-origin' });
  const edge = await startCdnEdge({ host, port: await portFor('edge', want('edge')), origin: origin.url, name: 'edgeco' });
  const shop = await startShop({
    host,
    port: await portFor('shop', want('shop')),
    paymentPort: await portFor('payco', want('payco')),
    cdn: edge.url,
    beacon: `http://${collector}`,
  });
  const dnsAlpha = await startDnsFaultServer({ host, port: await portFor('dnsAlpha', want('dnsAlpha'), true), ...ZONE });
  const dnsBeta = await startDnsFaultServer({ host, port: await portFor('dnsBeta', want('dnsBeta'), true), ...ZONE });
  const receiver = alertReceiver();
  const alertsPort = await portFor('alerts', want('alerts'));
  await new Promise<void>((done, fail) => receiver.server.once('error', fail).listen(alertsPort, host, () => done()));
  const hostOf = (url: string) => new URL(url).host;
  return {
    origin,
    edge,
    shop,
    dnsAlpha,
    dnsBeta,
    receiver,
    host,
    zone: { serial: ZONE.serial },
    addresses: {
      collector,
      edge: hostOf(edge.url),
      payco: hostOf(shop.paymentUrl),
      shop: hostOf(shop.url),
      dnsAlpha: dnsAlpha.address,
      dnsBeta: dnsBeta.address,
      alerts: `${host}:${(receiver.server.address() as { port: number }).port}`,
    },
    async close() {
      receiver.server.closeAllConnections();
      await Promise.all([new Promise((done) => receiver.server.close(done)), edge.close(), origin.close(), shop.close(), dnsAlpha.close(), dnsBeta.close()]);
    },
  };
}

// --- the script ---

interface Step {
  name: string;
  /** What breaks, in a sentence. */
  breaks: string;
  /** What the collector should conclude. */
  expect: string;
  /** The vendor the step needs in the config. */
  vendor: string;
  inject(lab: Lab): void;
  /** The collector shows what it should. */
  seen(s: Snapshot): boolean;
  /** Every vendor must stay operational meanwhile (the fault is not the vendors'). */
  blamesNoVendor?: boolean;
  recovery: string;
  recover(lab: Lab): void;
}

const stateOf = (s: Snapshot, vendor: string) => s.vendors.get(vendor)?.state;
const [goodProbe, badProbe] = PROBES;

const STEPS: readonly Step[] = [
  {
    name: 'cdn-regional-outage',
    breaks: "edgeco's POP for eu-west fails: every request from eu-west gets a 503",
    expect: 'edgeco regional_outage in eu-west (both eu-west probes agree; us-east and ap-south are fine), and a page',
    vendor: 'edgeco',
    inject: (lab) => lab.edge.faults.set({ region: 'eu-west' }, 'unavailable'),
    seen: (s) => stateOf(s, 'edgeco') === 'regional_outage',
    recovery: "edgeco's eu-west POP is back",
    recover: (lab) => lab.edge.faults.clear({ region: 'eu-west' }),
  },
  {
    name: 'slow-origin',
    breaks: "edgeco's origin answers 1.5 s late: cached objects stay fast, requests that bust the cache crawl",
    expect: 'edgeco degraded (edge-origin-path over its 800 ms budget) while edge-home still passes',
    vendor: 'edgeco',
    inject: (lab) => lab.origin.setDelay(1500),
    seen: (s) => stateOf(s, 'edgeco') === 'degraded',
    recovery: "edgeco's origin is fast again",
    recover: (lab) => lab.origin.setDelay(0),
  },
  {
    name: 'dns-serial-mismatch',
    breaks: 'demo.test is updated at dns-alpha (its SOA serial goes up by one), but the zone transfer to dns-beta stalls',
    expect: "dns-beta api_down: zone changes don't reach it (zone-sync finds the serials differ), while it still answers",
    vendor: 'dns-beta',
    inject: (lab) => lab.dnsAlpha.setZone({ serial: ++lab.zone.serial }),
    seen: (s) => stateOf(s, 'dns-beta') === 'api_down',
    recovery: 'dns-beta catches up with the zone transfer',
    recover: (lab) => lab.dnsBeta.setZone({ serial: lab.zone.serial }),
  },
  {
    name: 'payment-outage',
    breaks: "payco's charges API fails for everyone: every charge is answered 502 (payco's own status page still says all is well)",
    expect: 'payco hard_down in every region, and a page',
    vendor: 'payco',
    inject: (lab) => lab.shop.setFault('failing'),
    seen: (s) => stateOf(s, 'payco') === 'hard_down',
    recovery: "payco's charges API is back",
    recover: (lab) => lab.shop.setFault('none'),
  },
  {
    name: 'payment-config-api-down',
    breaks: "payco's configuration API answers 503 (dashboard maintenance); charges still go through",
    expect: 'payco api_down',
    vendor: 'payco',
    inject: (lab) => lab.shop.setApiFaults({ settings: 'down' }),
    seen: (s) => stateOf(s, 'payco') === 'api_down',
    recovery: "payco's configuration API is back",
    recover: (lab) => lab.shop.setApiFaults({ settings: 'ok' }),
  },
  {
    name: 'payment-reports-stale',
    breaks: "payco's reporting API still answers 200, but its report stops updating",
    expect: 'payco limited_visibility once the report is older than the 5 s payco-reports allows',
    vendor: 'payco',
    inject: (lab) => lab.shop.setApiFaults({ reports: 'stale' }),
    seen: (s) => stateOf(s, 'payco') === 'limited_visibility',
    recovery: "payco's reports are fresh again",
    recover: (lab) => lab.shop.setApiFaults({ reports: 'fresh' }),
  },
  {
    name: 'bad-probe',
    breaks: `probe ${badProbe.id}'s own network breaks: every HTTP request it makes is reset`,
    expect: `probe ${badProbe.id} unhealthy and its votes ignored; no vendor blamed (${goodProbe.id} in ${badProbe.region} still passes)`,
    vendor: 'edgeco',
    inject: (lab) => {
      lab.edge.faults.set({ probe: badProbe.id }, 'reset');
      lab.shop.probeFaults.set({ probe: badProbe.id }, 'reset');
    },
    seen: (s) => s.probes.get(badProbe.id)?.health === 'unhealthy',
    blamesNoVendor: true,
    recovery: `probe ${badProbe.id}'s network is repaired`,
    recover: (lab) => {
      lab.edge.faults.clear({ probe: badProbe.id });
      lab.shop.probeFaults.clear({ probe: badProbe.id });
    },
  },
];

/** The script's steps, in order (for --scenario). */
const STEP_NAMES: readonly string[] = STEPS.map((s) => s.name);

const calm = (s: Snapshot) =>
  s.vendors.size > 0 && [...s.vendors.values()].every((v) => v.state === 'operational') && [...s.probes.values()].every((p) => p.health === 'up');

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((done) => {
    const wake = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', wake);
      done();
    };
    const timer = setTimeout(wake, ms);
    signal.addEventListener('abort', wake, { once: true });
  });
}

/** Waits until `ok()` holds (true) or the timeout or abort comes first (false); `each` sees every poll. */
async function until(ok: () => boolean, timeoutMs: number, signal: AbortSignal, each: () => void = () => {}): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    each();
    if (ok()) return true;
    if (signal.aborted || Date.now() > deadline) return false;
    await sleep(250, signal);
  }
}

const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(0)} s`;

async function play(lab: Lab, steps: Step[], watch: CollectorWatch, speed: number, signal: AbortSignal): Promise<void> {
  const started = Date.now();
  say(`Waiting until every vendor is operational (the collector needs a few seconds of votes first) …`);
  if (!(await until(() => calm(watch.latest), TIMING.startTimeout, signal))) {
    if (!signal.aborted) say(`Not every vendor became operational within ${TIMING.startTimeout / 1000} s; the logs may say why. Playing the script anyway.`);
  }
  for (const [i, step] of steps.entries()) {
    await sleep(TIMING.pause / speed, signal);
    if (signal.aborted) return;
    say(bold(`── ${i + 1}/${steps.length} ${step.name}: ${step.breaks}.`));
    say(dim(`   expect: ${step.expect}`));
    const injected = Date.now();
    const notifiedBefore = lab.receiver.notifications.length;
    step.inject(lab);
    const blamed = new Set<string>();
    const noteBlame = () => {
      if (!step.blamesNoVendor) return;
      for (const v of watch.latest.vendors.values()) if (v.state !== 'operational') blamed.add(`${v.name} ${v.state}`);
    };
    if (await until(() => step.seen(watch.latest), TIMING.detectTimeout, signal, noteBlame)) say(dim(`   seen after ${seconds(injected)}`));
    else if (!signal.aborted) say(`   not seen within ${TIMING.detectTimeout / 1000} s; moving on`);
    await until(() => false, TIMING.hold / speed, signal, noteBlame);
    if (step.blamesNoVendor && !signal.aborted)
      say(blamed.size ? `   vendors blamed meanwhile: ${[...blamed].join(', ')}` : dim('   no vendor was blamed meanwhile'));
    step.recover(lab);
    if (signal.aborted) return;
    say(bold(`── recovery: ${step.recovery}.`));
    const recovering = Date.now();
    if (await until(() => calm(watch.latest), TIMING.recoverTimeout, signal))
      say(dim(`   every vendor operational and every probe up again after ${seconds(recovering)}`));
    else if (!signal.aborted) say(`   not recovered within ${TIMING.recoverTimeout / 1000} s; moving on`);
    say(dim(`   notifications in this step: ${notificationCount(lab.receiver.notifications.slice(notifiedBefore))}`));
  }
  say(bold(`The script is over after ${seconds(started)}. Notifications: ${notificationCount(lab.receiver.notifications)}.`));
  say(bold('Everything keeps running: look around, then press Ctrl-C to stop.'));
}

// --- processes ---

interface Child {
  name: string;
  proc: ChildProcess;
  exited: Promise<number | null>;
  log: string;
}

/**
 * A vendorwatch process logging to <dir>/<name>.log. It gets its own process group, so Ctrl-C
 * in a terminal reaches only the demo, which stops the probes first (they deliver what they
 * hold to a collector still listening), then the collector.
 */
function spawnCli(name: string, args: string[], env: NodeJS.ProcessEnv, dir: string): Child {
  const log = join(dir, `${name}.log`);
  const fd = openSync(log, 'a');
  const proc = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', fd, fd], detached: true });
  closeSync(fd);
  const exited = new Promise<number | null>((done) => proc.once('exit', (code) => done(code)));
  return { name, proc, exited, log };
}

/** SIGTERM, then SIGKILL if it has not stopped within 10 s. */
async function stopChild(child: Child): Promise<void> {
  if (child.proc.exitCode !== null || child.proc.signalCode !== null) return;
  child.proc.kill('SIGTERM');
  const timer = setTimeout(() => child.proc.kill('SIGKILL'), 10_000);
  await child.exited;
  clearTimeout(timer);
}

const tail = (file: string) => readFileSync(file, 'utf8').trim().split('\n').slice(-5).join('\n');

/** The collector and the probes, started; `stop` stops the probes first, then the collector. */
async function startProcesses(lab: Lab, configFile: string, env: NodeJS.ProcessEnv, dir: string) {
  const collectorUrl = `http://${lab.addresses.collector}`;
  const collector = spawnCli('collector', ['collector', '--config', configFile, '--listen', lab.addresses.collector], env, dir);
  const probes: Child[] = [];
  for (const p of PROBES) {
    const listen = `${lab.host}:${await freePort(lab.host)}`;
    probes.push(
      spawnCli(
        `probe-${p.id}`,
        ['probe', '--config', configFile, '--listen', listen, '--id', p.id, '--region', p.region, '--collector', collectorUrl],
        env,
        dir,
      ),
    );
  }
  return {
    collectorUrl,
    all: [collector, ...probes],
    async stop() {
      await Promise.all(probes.map(stopChild));
      await stopChild(collector);
    },
  };
}

// --- the demo ---

function printHeader(lab: Lab, config: Config, steps: readonly Step[], opts: DemoOptions, dir: string): void {
  const a = lab.addresses;
  process.stdout.write(
    [
      `${bold('vendorwatch demo')}: simulated vendors on loopback, ${PROBES.length} probes in ${new Set(PROBES.map((p) => p.region)).size} regions, 1 collector; no internet needed.`,
      '',
      `  collector   http://${a.collector}/  (status page, /v1/vendors, /v1/incidents, /v1/alerts, /metrics)`,
      `  vendors     ${config.vendors.map((v) => `${v.name} (${v.kind})`).join(', ')}`,
      `  lab         edgeco edge http://${a.edge} → origin ${lab.origin.url}; dns-alpha ${a.dnsAlpha}, dns-beta ${a.dnsBeta} (UDP+TCP);`,
      `              payco http://${a.payco}; shop http://${a.shop} (sign in as demo / demo; its pages carry the RUM beacon)`,
      `  probes      ${PROBES.map((p) => `${p.id} (${p.region})`).join(', ')}`,
      `  alerts      printed here by a webhook receiver at http://${a.alerts}${opts.alertmanager ? `, and sent to Alertmanager ${opts.alertmanager}` : ''}`,
      `  files       ${dir}  (demo.yaml as run, journal.jsonl, *.log)`,
      `  script      ${steps.map((s) => s.name).join(', ')}${opts.speed === 1 ? '' : ` at ${opts.speed}× speed`}`,
      '',
      '',
    ].join('\n'),
  );
}

/** The config as the processes run it: the demo config, with `--alertmanager` added. */
function writeConfigAsRun(opts: DemoOptions, dir: string): { text: string; file: string } {
  const text = readFileSync(opts.config, 'utf8');
  const doc = parseDocument(text);
  if (opts.alertmanager) doc.setIn(['alerts', 'alertmanager'], doc.createNode({ url: opts.alertmanager }));
  const file = join(dir, 'demo.yaml');
  writeFileSync(file, doc.toString());
  return { text, file };
}

/** Runs the demo until SIGINT, SIGTERM or SIGHUP; resolves to the exit code. */
export async function runDemo(opts: DemoOptions): Promise<number> {
  const names = opts.scenario ?? STEP_NAMES;
  const unknown = names.filter((n) => !STEP_NAMES.includes(n));
  if (unknown.length) {
    const named = unknown.map((n) => `${n} ${didYouMean(n, STEP_NAMES)}`.trim()).join(', ');
    throw new DemoError(`unknown scenario step(s): ${named} (steps: ${STEP_NAMES.join(', ')})`);
  }
  if (!(opts.speed > 0 && opts.speed <= 100)) throw new DemoError(`--speed expects a number above 0 and at most 100, got ${opts.speed}`);
  if (opts.collector !== undefined) {
    try {
      parseListen(opts.collector);
    } catch {
      throw new DemoError(`the collector's address "${opts.collector}" (--listen or VW_DEMO_COLLECTOR) is not HOST:PORT, e.g. 127.0.0.1:19797`);
    }
  }
  const steps = names.map((n) => STEPS.find((s) => s.name === n)!);
  const dir = opts.dir ? resolve(opts.dir) : mkdtempSync(join(tmpdir(), 'vendorwatch-demo-'));
  mkdirSync(dir, { recursive: true });
  const configAsRun = writeConfigAsRun(opts, dir);

  if (!existsSync(BEACON_SCRIPT)) {
    say('Building the beacon the shop pages carry (npm run build:beacon) …');
    await (await import('../beacon/build.ts')).buildBeacon();
  }
  const lab = await startLab(configAsRun.text, await collectorAddress(configAsRun.text, opts.collector));
  const stopping = new AbortController();
  let exitCode = 0;
  const stop = (code: number) => {
    exitCode = Math.max(exitCode, code);
    stopping.abort();
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (!stopping.signal.aborted) say(`${signal}: stopping the probes, the collector and the lab …`);
    stop(0);
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of signals) process.on(s, onSignal);
  let processes: Awaited<ReturnType<typeof startProcesses>> | undefined;
  // Orphans would keep probing a lab that is gone: take them along on any exit.
  const killChildren = () => {
    for (const c of processes?.all ?? []) if (c.proc.exitCode === null) c.proc.kill('SIGKILL');
  };
  process.on('exit', killChildren);
  let watch: CollectorWatch | undefined;
  let stopVisitors: (() => void) | undefined;
  try {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      VENDORWATCH_TOKEN: randomUUID(),
      VW_DEMO_DIR: dir,
      ...Object.fromEntries(Object.entries(ADDRESS_VARS).map(([place, variable]) => [variable, lab.addresses[place as Place]])),
    };
    const config = loadConfig(configAsRun.file, env);
    const missing = steps.filter((s) => !config.vendors.some((v) => v.name === s.vendor));
    if (missing.length) {
      const vendors = [...new Set(missing.map((s) => s.vendor))].join(', ');
      throw new DemoError(`the config has no vendor ${vendors}, which the script breaks (steps ${missing.map((s) => s.name).join(', ')})`);
    }
    processes = await startProcesses(lab, configAsRun.file, env, dir);
    for (const child of processes.all) {
      void child.exited.then((code) => {
        if (stopping.signal.aborted) return;
        say(`${child.name} exited unexpectedly (code ${code}); its log ${child.log} ends:\n${tail(child.log)}`);
        stop(1);
      });
    }
    watch = new CollectorWatch(processes.collectorUrl);
    watch.start();
    stopVisitors = startVisitors({
      edge: lab.edge.url,
      shop: lab.shop.url,
      collector: processes.collectorUrl,
      countryHeader: config.rum.country.header ?? 'x-demo-country',
      regions: SHOPPERS,
      perSecond: 4,
    });
    printHeader(lab, config, steps, opts, dir);
    await play(lab, steps, watch, opts.speed, stopping.signal);
    await new Promise<void>((done) => (stopping.signal.aborted ? done() : stopping.signal.addEventListener('abort', () => done(), { once: true })));
  } finally {
    stopVisitors?.();
    watch?.stop();
    await processes?.stop();
    await lab.close();
    for (const s of signals) process.off(s, onSignal);
    process.off('exit', killChildren);
  }
  say(`Stopped. ${lab.receiver.notifications.length} alert notifications were printed; the journal and logs stay in ${dir}.`);
  return exitCode;
}
