#!/usr/bin/env node
/**
 * Compiles the CLI (agent/cli.ts and everything it imports, the demo's lab included) into dist/,
 * so that starting vendorwatch loads JavaScript instead of transpiling TypeScript each time:
 *
 *   node bin/build.js          (npm run build; npm ci runs it as `prepare`)
 *
 * One ES module per command's lazy import (code splitting), so `--version` loads almost nothing
 * and `check` never loads the collector; node_modules stay external. dist/build.json lists the
 * sources and when the build started: bin/vendorwatch.js runs dist/ only while no source is newer.
 * The build goes to a temporary folder that replaces dist/ at the end, so a CLI starting meanwhile
 * never reads half a build (it falls back to the sources for that moment).
 *
 * Node before 22.1 keeps no compiled code between runs, and V8 only caches the code of a classic
 * script, not of an ES module: for it, the same CLI is also one CommonJS file, dist/cli.cjs, which
 * bin/codeCache.js runs with V8's code cache (parsing is most of a short command's start).
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { build } from 'esbuild';
import { BUILD_FILE, DIST, ROOT } from './dist.js';

/**
 * A bundled module's import.meta is its chunk's, in dist/. Code that finds files beside its own
 * source (beacon/dist from the collector, pageReporter.js from the browser check, config/demo.yaml
 * from the demo) gets its source file's location instead.
 */
function sourceLocated(path, source) {
  if (!source.includes('import.meta.')) return source;
  const file = relative(DIST, path);
  return source
    .replaceAll('import.meta.url', `new URL(${JSON.stringify(file)}, import.meta.url).href`)
    .replaceAll('import.meta.dirname', `(import.meta.dirname + ${JSON.stringify(`/${dirname(file)}`)})`);
}

const sourceLocation = {
  name: 'source-location',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, ({ path }) => {
      if (path.includes('/node_modules/')) return undefined;
      return { contents: sourceLocated(path, readFileSync(path, 'utf8')), loader: 'ts' };
    });
  },
};

/**
 * The packages nearly every command loads, bundled in: one file to read instead of hundreds to
 * resolve, check and parse one by one (undici alone is over a hundred). Each of these is known
 * to work bundled. Every other package, playwright-core first (large, and loaded only by browser
 * checks), stays in node_modules, imported at run time as from the sources: packages that find
 * their own files by their location (css-tree, pino's transports) keep working.
 */
const BUNDLED = new Set(['commander', 'pino', 'yaml', 'zod', 'prom-client', 'undici', 'dns-packet']);

const onlyBundled = {
  name: 'only-bundled-packages',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, ({ path, importer }) => {
      if (path.startsWith('node:') || importer.includes('/node_modules/')) return undefined;
      const name = path
        .split('/')
        .slice(0, path.startsWith('@') ? 2 : 1)
        .join('/');
      return BUNDLED.has(name) ? undefined : { path, external: true };
    });
  },
};

/**
 * undici's index loads all of undici; vendorwatch uses its `request`, `Agent` and `Pool`. What
 * else the index loads is left out: fetch and its classes, WebSocket, EventSource, cookies, the
 * cache, the mocks, the proxy and retry agents, the interceptors (about half of undici's code,
 * parsed and run at every start for nothing; the cookie module also reads globalThis.Headers as
 * it loads, which makes Node load its own copy of undici). In the bundle they are undefined (the
 * cache storage an empty class, which the index instantiates): to use one, take it out of this list.
 * undici's own modules still load whatever of these they need.
 */
const UNUSED_UNDICI =
  /^\.\/lib\/(web\/(cookies|websocket|eventsource|fetch|cache)|mock|interceptor|cache|handler\/retry-handler|dispatcher\/(proxy-agent|socks5-proxy-agent|env-http-proxy-agent|retry-agent|h2c-client|balanced-pool|round-robin-pool))\b/;

const slimUndici = {
  name: 'slim-undici',
  setup(b) {
    b.onResolve({ filter: UNUSED_UNDICI }, ({ path, importer }) =>
      /\/node_modules\/undici\/index\.js$/.test(importer) ? { path, namespace: 'unused-undici' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'unused-undici' }, () => ({ contents: 'module.exports = { CacheStorage: class {} };', loader: 'js' }));
  },
};

/** zod ships its messages in over a hundred languages; vendorwatch speaks English (zod's default). */
const englishZod = {
  name: 'english-zod',
  setup(b) {
    b.onResolve({ filter: /\/locales\/index\.js$/ }, ({ path, importer, resolveDir }) =>
      /\/node_modules\/zod\//.test(importer) ? { path: join(resolveDir, path), namespace: 'english-zod' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'english-zod' }, ({ path }) => ({
      contents: "export { default as en } from './en.js';",
      resolveDir: dirname(path),
      loader: 'js',
    }));
  },
};

/**
 * A module's "run as a script" block (`if (import.meta.url === pathToFileURL(process.argv[1] ...`)
 * never runs in a bundle, and its top-level await cannot be CommonJS: the CommonJS build drops it.
 */
const MAIN_BLOCK = /^if \(import\.meta\.url === pathToFileURL\(process\.argv\[1\][^\n]*\{\n[\s\S]*?^\}\n/m;

/** The CommonJS build's view of import.meta (`__vwImportMetaUrl` comes from its banner). */
const commonJsImportMeta = {
  'import.meta.url': '__vwImportMetaUrl',
  'import.meta.dirname': '__dirname',
  'import.meta.filename': '__filename',
};

/**
 * An import() of what is not bundled (playwright-core, a transaction script): bin/codeCache.js
 * runs the CommonJS build as a vm script, where Node 20 has no import() without a flag, and passes
 * its own import as `__vwImport`. Bundled modules' import()s (relative paths) stay, esbuild inlines them.
 */
const EXTERNAL_IMPORT = /(?<![\w.$]|typeof )import\((?!['"](\.|node:))/g;

const commonJsSources = {
  name: 'common-js-sources',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, ({ path }) => {
      if (path.includes('/node_modules/')) return undefined;
      const source = readFileSync(path, 'utf8').replace(MAIN_BLOCK, '').replace(EXTERNAL_IMPORT, '__vwImport(');
      return { contents: sourceLocated(path, source), loader: 'ts' };
    });
  },
};

export async function buildCli() {
  const builtAt = Date.now();
  const out = `${DIST}.${process.pid}.tmp`;
  rmSync(out, { recursive: true, force: true });
  const common = {
    bundle: true,
    platform: 'node',
    target: 'node20',
    sourcemap: 'linked',
    // Less text for Node to parse at start; names stay, and the source maps lead back to the sources.
    minifyWhitespace: true,
    minifySyntax: true,
    logLevel: 'warning',
  };
  const [result] = await Promise.all([
    build({
      ...common,
      entryPoints: { cli: join(ROOT, 'agent/cli.ts') },
      outdir: out,
      splitting: true,
      format: 'esm',
      metafile: true,
      // Bundled CommonJS packages call require(), which an ES module does not have.
      banner: { js: "import { createRequire as __vwRequire } from 'node:module'; const require = __vwRequire(import.meta.url);" },
      plugins: [onlyBundled, slimUndici, englishZod, sourceLocation],
    }),
    build({
      ...common,
      entryPoints: [join(ROOT, 'agent/cli.ts')],
      outfile: join(out, 'cli.cjs'),
      format: 'cjs',
      define: commonJsImportMeta,
      banner: { js: "const __vwImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
      plugins: [onlyBundled, slimUndici, englishZod, commonJsSources],
    }),
  ]);
  const inputs = Object.keys(result.metafile.inputs).filter((f) => !f.includes('node_modules/'));
  writeFileSync(join(out, BUILD_FILE), `${JSON.stringify({ builtAt, inputs }, null, 1)}\n`);
  const old = `${DIST}.${process.pid}.old`;
  try {
    renameSync(DIST, old);
  } catch (err) {
    if (err.code !== 'ENOENT') throw err;
  }
  renameSync(out, DIST);
  rmSync(old, { recursive: true, force: true });
}

if (import.meta.filename === process.argv[1]) await buildCli();
