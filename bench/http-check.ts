/**
 * HTTP check throughput and timing accuracy: vendorwatch's http check against Prometheus's
 * blackbox_exporter (http prober) and `curl -w`, on the same local targets, a fresh connection
 * per check.
 *   - Throughput: passing checks/s at a fixed concurrency against `/ok`.
 *   - Accuracy: |measured − delay| for ttfb and total against `/delay/N`, which holds its
 *     response headers N ms (the body follows at once, so the true ttfb and total are both N ms
 *     plus a loopback round trip).
 */
import { startBlackboxExporter, type BlackboxExporter } from './blackbox-exporter.ts';
import { compare, execute, plan, toolVersion, withStops, type Contender, type Sample } from './measure.ts';
import { accuracyMethod, accuracyTable, COMMON_NOTES, contendersTable, throughputMethod, throughputTable, type Benchmark } from './report.ts';
import { measureStartUp, startUpCommands, startUpTable } from './start-up.ts';
import { startTargets } from './targets.ts';
import { vendorwatchOn } from './vendorwatch.ts';

/** A path on the target; vendorwatch's config has a check of the same name for each. */
type Target = 'ok' | `delay/${number}`;

const checkName = (t: Target) => t.replace('/', '-');
const CURL_FORMAT = '%{http_code} %{time_connect} %{time_starttransfer} %{time_total}';

function curlContender(base: string, version: string): Contender<Target> {
  return {
    name: 'curl -w',
    version,
    command: `curl -s -o /dev/null --max-time 5 -w '${CURL_FORMAT}' URL (a new process per check)`,
    async run(target) {
      const { code, stdout, stderr } = await execute('curl', ['-s', '-o', '/dev/null', '--max-time', '5', '-w', CURL_FORMAT, `${base}/${target}`]);
      const [status, , ttfb, total] = stdout.trim().split(' ').map(Number);
      if (code !== 0 || !status || status >= 400) return { ok: false, message: `curl exit ${code}, HTTP ${status}: ${stderr.trim()}` };
      return { ok: true, ttfb: ttfb!, total: total! };
    },
  };
}

function blackboxContender(exporter: BlackboxExporter, base: string): Contender<Target> {
  return {
    name: 'blackbox_exporter',
    version: exporter.version,
    command:
      'GET /probe?module=http_2xx&target=URL (module: prober http, timeout 5s, ip4); ttfb = resolve+connect+tls+processing phases, total = probe_duration_seconds',
    async run(target): Promise<Sample> {
      const m = await exporter.probe('http_2xx', `${base}/${target}`);
      const phase = (p: string) => m.get(`probe_http_duration_seconds{phase="${p}"}`) ?? 0;
      if (m.get('probe_success') !== 1) return { ok: false, message: `probe_success 0 (HTTP ${m.get('probe_http_status_code')})` };
      return { ok: true, ttfb: phase('resolve') + phase('connect') + phase('tls') + phase('processing'), total: m.get('probe_duration_seconds')! };
    },
  };
}

export const httpCheckBenchmark: Benchmark = {
  name: 'http',
  title: 'HTTP check: throughput and timing accuracy',
  run: ({ quick, log }) =>
    withStops(async (onStop) => {
      const { throughput, accuracy } = plan(quick);
      const targets = await startTargets([]);
      onStop(() => targets.close());
      const exporter = await startBlackboxExporter({
        http_2xx: { prober: 'http', timeout: '5s', http: { preferred_ip_protocol: 'ip4', ip_protocol_fallback: false } },
      });
      onStop(() => exporter.close());
      const paths: Target[] = ['ok', ...accuracy.delaysMs.map((d) => `delay/${d}` as const)];
      const vendorwatch = await vendorwatchOn(
        [
          'vendors:',
          `  - { name: bench-cdn, kind: cdn, hosts: ["${new URL(targets.http).host}"] }`,
          'checks:',
          ...paths.map((p) => `  - { name: ${checkName(p)}, vendor: bench-cdn, kind: http, url: "${targets.http}/${p}", timeout: 5s }`),
          '',
        ].join('\n'),
      );
      onStop(() => vendorwatch.close());

      const contenders: Contender<Target>[] = [
        vendorwatch.runner(
          'vendorwatch check runner',
          'runCheck(check) in the benchmark process (config: `kind: http`, `url`, `timeout: 5s`, defaults otherwise)',
          checkName,
        ),
        vendorwatch.command(checkName),
        blackboxContender(exporter, targets.http),
        curlContender(targets.http, await toolVersion('curl', /^curl \S+/)),
      ];
      const { rates, errors } = await compare(contenders, { throughput: 'ok', delayed: (d) => `delay/${d}` as const }, { throughput, accuracy }, log);
      const startUpRounds = quick ? 2 : 20;
      const startUp = await measureStartUp(startUpCommands(vendorwatch.configFile, checkName('ok'), `${targets.http}/ok`), startUpRounds, log);

      return {
        method: [
          "Targets: the lab's HTTP fault server (lab/faults.ts) in a Node process of its own on 127.0.0.1: `/ok` answers at once, `/delay/N` holds its response headers N ms, then sends its 3-byte body. Plain HTTP/1.1, a fresh TCP connection per check for every contender.",
          throughputMethod(throughput, '`/ok`'),
          accuracyMethod(accuracy, '`/delay/N`', 'ttfb and total'),
          `Start-up: wall time from spawn to exit of each command, one at a time, ${startUpRounds} rounds in an order that rotates each round; the ratios are taken within each round. \`bin/vendorwatch.js\` runs the compiled CLI (dist/, built by \`npm ci\`; the benchmark builds it first if a source is newer).`,
        ],
        tables: [
          { heading: 'Contenders', table: contendersTable(contenders) },
          { heading: `Throughput (checks/s, concurrency ${throughput.concurrency})`, table: throughputTable(rates) },
          { heading: 'Timing accuracy (error against the known delay)', table: accuracyTable(errors, ['ttfb', 'total']) },
          { heading: 'Start-up: one process per command (wall ms)', table: startUpTable(startUp) },
        ],
        notes: [
          'Every error includes what the target adds to N (its timer fires at N ms or a little later, plus connect and the loopback round trip), the same for every contender; differences between contenders are what each tool adds.',
          'curl and `vendorwatch check --json` start a process per check; the check runner and blackbox_exporter do not.',
          ...COMMON_NOTES,
        ],
      };
    }),
};
