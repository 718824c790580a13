/**
 * The beacon's costs, three ways:
 *   - Script size: beacon.js and beacon.mjs, built fresh, raw, gzip -9 and brotli 11, against
 *     web-vitals alone (its own dist files, and bundled the way the beacon bundles it), so
 *     vendorwatch's own share is the difference.
 *   - Payload: the bytes a page view sends, in real Chromium, for pages of 10 to 500 resources
 *     over several vendors (bench/beacon-page.ts).
 *   - Ingest: beacons/s, latency and memory of `vendorwatch collector` on one core, against a bare
 *     node:http server answering 204 (bench/beacon-ingest.ts).
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { build, version as esbuildVersion } from 'esbuild';
import { BUNDLE_OPTIONS, buildBeacon } from '../beacon/build.ts';
import { launchChromium } from '../test/support/chromium.ts';
import { freePort, ROOT, tempDir } from '../test/support/processes.ts';
import {
  BARE_SERVER,
  BARE_SERVER_BODIES,
  bodyForms,
  GENERATOR_CORE,
  ingestPlan,
  measureIngest,
  RATE_LIMIT,
  SERVER_CORE,
  startPinnedCollector,
  type BoxSummary,
  type CapturedBeacon,
} from './beacon-ingest.ts';
import {
  endings,
  HOST_RESOLVER_RULES,
  PAGE_GROUPS,
  pageView,
  SOURCES_DESCRIPTION,
  startBenchSite,
  startTap,
  VENDORS,
  type BenchSite,
  type Ending,
  type PageView,
  type Tap,
} from './beacon-page.ts';
import { slope, spread, withStops, type Spread } from './measure.ts';
import type { Benchmark, Table } from './report.ts';
import { vendorwatchVersion } from './vendorwatch.ts';

const WEB_VITALS = join(ROOT, 'node_modules/web-vitals');
const webVitalsVersion = () => (JSON.parse(readFileSync(join(WEB_VITALS, 'package.json'), 'utf8')) as { version: string }).version;

// --- Script size ---

interface Sized {
  script: string;
  what: string;
  bytes: number;
  gzip: number;
  brotli: number;
}

function sized(script: string, what: string, contents: Uint8Array): Sized {
  const brotli = brotliCompressSync(contents, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: contents.length } });
  return { script, what, bytes: contents.length, gzip: gzipSync(contents, { level: 9 }).length, brotli: brotli.length };
}

/** The web-vitals imports of beacon/src/vitals.ts, each called as the beacon does, reporting to nothing. */
function vitalsEntry(): string {
  const source = readFileSync(join(ROOT, 'beacon/src/vitals.ts'), 'utf8');
  const imports = [...source.matchAll(/^import \{ (on\w+) \} from '(web-vitals[^']*)';$/gm)];
  if (!imports.length) throw new Error('found no `import { onX } from "web-vitals/..."` line in beacon/src/vitals.ts');
  return [
    ...imports.map((m) => m[0]),
    'const opts = { reportAllChanges: true, reportSoftNavs: true };',
    ...imports.map((m) => `${m[1]}(() => {}, opts);`),
  ].join('\n');
}

async function bundled(entry: string): Promise<Uint8Array> {
  const result = await build({ ...BUNDLE_OPTIONS, stdin: { contents: entry, resolveDir: ROOT, loader: 'ts' }, format: 'iife', write: false });
  return result.outputFiles[0]!.contents;
}

/** `dir` holds the beacon just built. */
async function measureSizes(dir: string): Promise<{ sizes: Sized[]; own: Sized[] }> {
  const dist = (file: string) => readFileSync(join(WEB_VITALS, 'dist', file));
  const beacon = sized('beacon.js', 'vendorwatch, the script-tag build (IIFE, web-vitals included)', readFileSync(join(dir, 'beacon.js')));
  const flavour = sized(
    'web-vitals as the beacon bundles it',
    "the web-vitals imports of beacon/src/vitals.ts (the five plain builds; the beacon finds the LCP resource and the slow interaction's script itself), each called with a callback that does nothing; esbuild with beacon/build.ts's options, IIFE",
    await bundled(vitalsEntry()),
  );
  const attributionIife = sized(
    'web-vitals.attribution.iife.js',
    "the package's own attribution IIFE (all five metrics with attribution)",
    dist('web-vitals.attribution.iife.js'),
  );
  const sizes = [
    beacon,
    sized('beacon.mjs', 'vendorwatch, the ES module for bundlers', readFileSync(join(dir, 'beacon.mjs'))),
    flavour,
    sized(
      'web-vitals, plain, bundled',
      "`import { onLCP, onINP, onCLS, onFCP, onTTFB } from 'web-vitals'`, each called with a callback that does nothing; esbuild as above",
      await bundled("import { onLCP, onINP, onCLS, onFCP, onTTFB } from 'web-vitals';\nfor (const on of [onLCP, onINP, onCLS, onFCP, onTTFB]) on(() => {});"),
    ),
    sized('web-vitals.iife.js', "the package's own plain IIFE", dist('web-vitals.iife.js')),
    attributionIife,
    sized('web-vitals.js', "the package's own plain ES module", dist('web-vitals.js')),
    sized('web-vitals.attribution.js', "the package's own attribution ES module", dist('web-vitals.attribution.js')),
  ];
  const minus = (base: Sized, what: string): Sized => ({
    script: `beacon.js − ${base.script}`,
    what,
    bytes: beacon.bytes - base.bytes,
    gzip: beacon.gzip - base.gzip,
    brotli: beacon.brotli - base.brotli,
  });
  return {
    sizes,
    own: [
      minus(flavour, 'like for like: the same web-vitals modules, bundled and minified by the same esbuild options'),
      minus(attributionIife, "against the package's own attribution IIFE (what a page would load for attributed vitals alone)"),
    ],
  };
}

// --- Payload per page view ---

interface PayloadPlan {
  sizes: number[];
  views: number;
  /** The page whose beacon the ingest part replays. */
  replayed: number;
}

const payloadPlan = (quick: boolean): PayloadPlan =>
  quick ? { sizes: [10, 150], views: 1, replayed: 150 } : { sizes: [10, 50, 150, 500], views: 3, replayed: 150 };

interface Payload {
  views: PageView[];
  chromium: string;
  /** The beacon of the page the ingest part replays, with the browser's headers. */
  replay: CapturedBeacon;
  configBytes: number;
}

/** Page views in Chromium on the bench site, their beacons read off the wire by the tap. */
async function measurePayload(plan: PayloadPlan, tap: Tap, site: BenchSite, log: (line: string) => void): Promise<Payload> {
  const browser = await launchChromium({ args: [`--host-resolver-rules=${HOST_RESOLVER_RULES}`] });
  try {
    const views: PageView[] = [];
    for (let i = 0; i < plan.views; i++) {
      log(`payload: page views, round ${i + 1} of ${plan.views}`);
      for (const n of plan.sizes) for (const ending of Object.keys(endings) as Ending[]) views.push(await pageView(browser, site, tap, n, ending));
    }
    const replayed = views.find((v) => v.resources === plan.replayed && v.ending === 'hidden')?.beacons[0];
    if (!replayed) throw new Error(`no beacon from the ${plan.replayed}-resource page to replay`);
    const headers = Object.fromEntries(Object.entries(replayed.headers).filter(([k]) => !['host', 'connection', 'content-length'].includes(k)));
    const configBytes = views.flatMap((v) => v.configs).find((c) => c.answerBytes)?.answerBytes ?? 0;
    return { views, chromium: `Chromium ${browser.version()}`, replay: { json: replayed.json, nav: replayed.beacon.nav, headers }, configBytes };
  } finally {
    await browser.close();
  }
}

// --- Tables ---

const int = (v: number) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : '–');
const median = (values: number[]) => (values.length ? spread(values).median : Number.NaN);
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
const msText = (v: number) => (v >= 10 ? v.toFixed(1) : v.toFixed(2));
const rateText = (v: number) => (!Number.isFinite(v) ? '–' : v >= 100 ? v.toFixed(0) : v.toFixed(1));
const share = (v: number) => `${Math.round(v * 100)}%`;
/** "1", or "1–2" when page views differed. */
const counts = (values: number[]) => {
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  return lo === hi ? String(lo) : `${lo}–${hi}`;
};

function sizeTable(rows: Sized[]): Table {
  return {
    columns: ['script', 'what it is', 'bytes', 'gzip -9', 'brotli 11'],
    rows: rows.map((r) => [r.script, r.what, int(r.bytes), int(r.gzip), int(r.brotli)]),
  };
}

function payloadTable(views: PageView[], sizes: number[]): Table {
  const rows: string[][] = [];
  for (const n of sizes) {
    for (const ending of Object.keys(endings) as Ending[]) {
      const group = views.filter((v) => v.resources === n && v.ending === ending);
      const beacons = group.flatMap((v) => v.beacons);
      const gz = beacons.filter((b) => b.body[0] === 0x1f && b.body[1] === 0x8b).length;
      const statuses = [...new Set(beacons.map((b) => String(b.status)))].join(', ');
      rows.push([
        String(n),
        endings[ending],
        String(group.length),
        counts(group.map((v) => v.beacons.length)),
        gz === beacons.length ? 'gzip' : gz === 0 ? 'JSON' : `gzip ${gz}, JSON ${beacons.length - gz}`,
        int(median(beacons.map((b) => b.body.length))),
        int(median(beacons.map((b) => b.json.length))),
        int(median(beacons.map((b) => b.headerBytes))),
        int(median(group.map((v) => v.entries))),
        int(median(beacons.map((b) => Object.values(b.beacon.resources).reduce((s, r) => s + r.count, 0)))),
        int(median(beacons.map((b) => b.beacon.lost))),
        counts(beacons.map((b) => Object.keys(b.beacon.resources).length)),
        statuses,
      ]);
    }
  }
  return {
    columns: [
      'resources on the page',
      'page view ends',
      'page views',
      'beacon requests per view',
      'sent as',
      'body bytes on the wire (median)',
      'beacon JSON bytes',
      'request line + headers bytes',
      "page's Resource Timing entries",
      'entries in the beacon',
      'entries lost',
      'vendors in the beacon',
      'collector answered',
    ],
    rows,
  };
}

function growthTable(views: PageView[], sizes: number[]): Table {
  const series: [string, (n: number) => number][] = [
    [
      'beacon body, JSON (page left)',
      (n) => median(views.filter((v) => v.resources === n && v.ending === 'left').flatMap((v) => v.beacons.map((b) => b.body.length))),
    ],
    [
      'beacon body, gzip (tab hidden)',
      (n) => median(views.filter((v) => v.resources === n && v.ending === 'hidden').flatMap((v) => v.beacons.map((b) => b.body.length))),
    ],
    ['for contrast: the raw Resource Timing entries as JSON', (n) => median(views.filter((v) => v.resources === n).map((v) => v.entriesJsonBytes))],
    ['for contrast: those entries gzipped', (n) => median(views.filter((v) => v.resources === n).map((v) => v.entriesGzipBytes))],
  ];
  return {
    columns: ['bytes per page view', ...sizes.map((n) => `${n} resources`), 'bytes per added resource'],
    rows: series.map(([name, at]) => [name, ...sizes.map((n) => int(at(n))), slope(sizes.map((n) => [n, at(n)])).toFixed(1)]),
  };
}

const serverBody = (s: BoxSummary) => [s.server, bodyForms[s.form]];
const failedText = (s: BoxSummary) => (s.failed ? `${s.failed}: ${s.firstFailure ?? ''}`.slice(0, 120) : '0');

const ratioText = (r: Spread | undefined) => (r ? `${r.median.toFixed(2)} (${r.p10.toFixed(2)}–${r.p90.toFixed(2)})` : '1');

function throughputTable(rows: BoxSummary[]): Table {
  return {
    columns: [
      'server',
      'body',
      'beacons/s (median)',
      'p10–p90',
      '× bare node:http, same body',
      'latency p50 ms',
      'latency p99 ms',
      'answers',
      'non-2xx',
      'server CPU',
      'server event loop waiting for its core',
      'generator CPU',
    ],
    rows: rows.map((s) => {
      const r = spread(s.rates);
      return [
        ...serverBody(s),
        rateText(r.median),
        `${rateText(r.p10)}–${rateText(r.p90)}`,
        ratioText(s.ratio),
        msText(s.latency.p50),
        msText(s.latency.p99),
        int(s.answers),
        failedText(s),
        share(s.serverCpu),
        share(s.serverWaited),
        share(s.generatorCpu),
      ];
    }),
  };
}

/** CPU per beacon holds up when the server did not get its whole core (a shared machine). */
function cpuTable(rows: BoxSummary[]): Table {
  const us = (seconds: number) => (seconds * 1e6).toFixed(0);
  return {
    columns: ['server', 'body', 'server CPU µs per beacon (median)', 'p10–p90', '× bare node:http, same body', 'beacons/s one whole core would answer'],
    rows: rows.map((s) => {
      const c = spread(s.cpuPerBeacon);
      return [...serverBody(s), us(c.median), `${us(c.p10)}–${us(c.p90)}`, ratioText(s.cpuRatio), rateText(1 / c.median)];
    }),
  };
}

function latencyTable(rows: BoxSummary[]): Table {
  return {
    columns: ['server', 'body', 'latency p50 ms', 'latency p99 ms', 'beacons/s', 'answers', 'non-2xx'],
    rows: rows.map((s) => [...serverBody(s), msText(s.latency.p50), msText(s.latency.p99), rateText(spread(s.rates).median), int(s.answers), failedText(s)]),
  };
}

/** Says so when the bare server had CPU to spare: its beacons/s is then the generator's limit, not its own. */
function bareBound(rows: BoxSummary[]): string[] {
  const bare = rows.filter((r) => !r.ratio);
  const busiest = Math.max(...bare.map((r) => r.serverCpu));
  if (busiest >= 0.9) return [];
  return [
    `The bare server used at most ${share(busiest)} of its core: one generator process cannot drive it to its ceiling, so its beacons/s is what one Node client sends, and the collector's × column understates the gap. The CPU per beacon is the comparison that holds.`,
  ];
}

// --- The benchmark ---

export const beaconBenchmark: Benchmark = {
  name: 'beacon',
  title: 'Beacon: script size, payload per page view, collector ingest',
  run: ({ quick, log }) =>
    withStops(async (onStop) => {
      log('size: building the beacon and web-vitals alone');
      const dir = tempDir('vendorwatch-bench-beacon-');
      onStop(() => rmSync(dir, { recursive: true, force: true }));
      await buildBeacon({ outdir: dir });
      const { sizes, own } = await measureSizes(dir);

      // One collector for both other parts: the site needs the tap's address, the tap the
      // collector's, and the collector's config the site's origin.
      const collectorPort = await freePort();
      const tap = await startTap({ collector: `http://127.0.0.1:${collectorPort}`, script: join(dir, 'beacon.js') });
      onStop(() => tap.close());
      const site = await startBenchSite({ collector: tap.url });
      onStop(() => site.close());
      const configFile = join(dir, 'vendorwatch.json');
      const rum = { origins: [new URL(site.url).origin], page_groups: PAGE_GROUPS, rate_limit: RATE_LIMIT };
      writeFileSync(configFile, JSON.stringify({ vendors: VENDORS, rum, collector: { journal: join(dir, 'journal.jsonl') } }));
      const collector = await startPinnedCollector(configFile, collectorPort);
      onStop(() => collector.running.stop().then(() => undefined));

      const pp = payloadPlan(quick);
      const payload = await measurePayload(pp, tap, site, log);
      const ip = ingestPlan(quick);
      log(`ingest: ${ip.rounds} round(s) of ${ip.seconds} s at ${ip.inFlight} in flight and ${ip.latencySeconds} s at 1, per contender`);
      const ingest = await measureIngest({ beacon: payload.replay, collector, plan: ip, log });
      const version = await vendorwatchVersion();
      const replayBytes = (form: 'plain' | 'gzip') => int(median(ingest.throughput.filter((s) => s.form === form).map((s) => s.bodyBytes)));
      const made = ingest.throughput.concat(ingest.latency).reduce((n, s) => n + s.madeDuringBox, 0);
      const { counted, answered } = ingest.collectorAccepted;

      return {
        method: [
          `Script size: \`beacon/build.ts\` builds beacon.js and beacon.mjs fresh into a temporary directory (no config inlined: pages fetch it). web-vitals ${webVitalsVersion()} alone is measured three ways: its own dist files; bundled by esbuild ${esbuildVersion} with the beacon's options (\`BUNDLE_OPTIONS\`: bundle, minify, target es2020, IIFE) from the same imports as \`beacon/src/vitals.ts\`; and the plain \`import { onLCP, onINP, onCLS, onFCP, onTTFB } from 'web-vitals'\`. Sizes: raw bytes, gzip level 9 (as the collector serves beacon.js) and brotli quality 11 (node:zlib). vendorwatch's own code is beacon.js minus web-vitals bundled like for like.`,
          `Payload per page view: real Chromium (${payload.chromium}, headless, Debian's /usr/bin/chromium through playwright-core, \`--host-resolver-rules=${HOST_RESOLVER_RULES}\`) loads a page carrying the one-line beacon tag with N resources, for N in ${pp.sizes.join(', ')}, spread over four vendors and the site itself (${SOURCES_DESCRIPTION}; tiny bodies from one loopback server, told apart by Host). Each page view is a fresh browser context (a new visitor, cold cache); it ends once every resource has loaded and the beacon has its config, either with the tab hidden (the page lives on) or by leaving the page (navigating to about:blank). ${pp.views} page view(s) per size and ending, interleaved.`,
          "On the wire: a tap on the collector's origin serves the freshly built beacon.js and forwards `/v1/beacon` and `/v1/beacon/config` to a real `vendorwatch collector` process, keeping every request exactly as it arrived: body bytes as sent (gzip when the beacon compressed), the request line and headers as HTTP/1.1 text, and the collector's answer.",
          `Ingest: each server is a process of its own pinned to core ${SERVER_CORE} with \`taskset -c ${SERVER_CORE}\` (/proc says ${ingest.memory.map((m) => `${m.server}: cores ${m.cores}`).join('; ')}): \`vendorwatch collector\` (${version}, bin/vendorwatch.js: the CLI as deployed, default log level) and a bare node:http server (\`node -e\`: reads the body, answers 204), the ceiling. One load generator process (bench/beacon-load.ts, undici Pool, one kept-alive connection per beacon in flight) is pinned to core ${GENERATOR_CORE} (cores ${ingest.generatorCores}). It POSTs the beacon the ${pp.replayed}-resource page sent, with the browser's request headers (Origin, Content-Type text/plain, User-Agent, Sec-Fetch-*), each with a fresh navigation id (the collector answers a page view it has seen with 409; the bare server, which does not read them, gets the same ${int(BARE_SERVER_BODIES)} over and over), as JSON (${replayBytes('plain')} bytes) and gzipped (${replayBytes('gzip')} bytes, node:zlib default level); bodies are made before each time box.`,
          `Ingest boxes: ${ip.warmupSeconds ? `after an unrecorded ${ip.warmupSeconds} s warm-up per contender, ` : ''}${ip.rounds} round(s); in each, every contender (server × body) gets a ${ip.seconds} s box at ${ip.inFlight} beacons in flight (throughput, latency under saturation) and then a ${ip.latencySeconds} s box at one in flight (latency alone), contenders taking turns in an order that rotates each round. Beacons/s counts 2xx answers over the box, its drain included; latency is from sending a request to the end of its answer, pooled over rounds. Ratios to the bare server are paired round by round. CPU is the time the process's threads ran over the box, and waiting the time its event loop was ready to run but had no core (the scheduler's /proc/PID/task/*/schedstat; 100% = one core); memory is VmRSS and VmHWM from /proc/PID/status.`,
          `Rate limit: the collector's per-client limit (keyed by an HMAC of the address) is set to \`rum.rate_limit: ${RATE_LIMIT}\` for the run, so the generator's one address is never answered 429; the HMAC is still computed for every beacon. The rest of the config: the site's vendors and page group, \`rum.origins\` the page's origin, the journal in a temporary directory.`,
        ],
        tables: [
          { heading: 'Script size (bytes)', table: sizeTable(sizes) },
          { heading: "vendorwatch's own code: beacon.js minus web-vitals alone (bytes)", table: sizeTable(own) },
          { heading: 'Payload per page view (what reaches the collector)', table: payloadTable(payload.views, pp.sizes) },
          { heading: 'Payload growth with the number of resources', table: growthTable(payload.views, pp.sizes) },
          { heading: `Ingest throughput (${ip.inFlight} beacons in flight; each server on one core)`, table: throughputTable(ingest.throughput) },
          { heading: `Ingest cost: server CPU per beacon (${ip.inFlight} in flight)`, table: cpuTable(ingest.throughput) },
          { heading: 'Ingest latency (one beacon at a time)', table: latencyTable(ingest.latency) },
          {
            heading: 'Server memory',
            table: {
              columns: ['server', 'cores', 'RSS before the ingest', 'peak RSS (VmHWM)', 'RSS at the end', 'beacons from the generator'],
              rows: ingest.memory.map((m) => [m.server, m.cores, mib(m.rssBeforeBytes), mib(m.peakRssBytes), mib(m.endRssBytes), int(m.beacons)]),
            },
          },
        ],
        notes: [
          'Compressed sizes do not subtract exactly: web-vitals and vendorwatch\'s code share one compression window, so "own code" compressed is what adding it costs, not its size alone.',
          `The beacon sends one Resource Timing sample per entry ([type, cache, ms]) beside its per-vendor counts, so its body grows with the page; gzip takes most of that back. The beacon also counts beacon.js itself (an "other" entry), so its entries read one more than the page's.`,
          `The page left sends its beacon at once, uncompressed: Chromium fires pagehide before visibilitychange when leaving, and there is no time to gzip. A hidden tab sends it gzipped (CompressionStream). Headless Chromium never hides a tab, so the benchmark plays the hidden tab in the page (visibilityState reads "hidden", visibilitychange fires); the beacon's code then runs as in a real tab.`,
          `Besides the beacon, each page view with a cold cache fetches \`/v1/beacon/config\` (${int(payload.configBytes)} bytes answered, cacheable for 300 s) and beacon.js once (cacheable for an hour); a config inlined at build time (\`beacon/build.ts --config\`) saves the former. Headers are HTTP/1.1 as on this loopback; HTTP/2 or 3 compress them.`,
          `The collector's own counter agrees: vendorwatch_rum_beacons_total{result="accepted"} is ${int(counted)} for ${int(answered)} answers 204${counted === answered ? '' : ' (they differ: see its log)'}.`,
          ...bareBound(ingest.throughput),
          ...(made ? [`${int(made)} bodies were made during boxes (more beacons than prepared): that time is in the generator's CPU, not the server's.`] : []),
          'A server near 100% CPU is the bottleneck. Below that, it was idle or waiting: for the generator (then near 100% itself), or for its core, taken by other processes on a shared machine (the waiting column). CPU per beacon divides the CPU time the server actually got by the beacons it answered, so it holds whatever else ran; 1 / that is what one whole core would answer. Read it, and the ratios measured in the same round, before the beacons/s.',
          `The bare server: \`${BARE_SERVER.replace(/\n\s*/g, ' ')}\``,
        ],
      };
    }),
};
