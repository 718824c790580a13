#!/usr/bin/env node
// The one entry point. It runs the compiled CLI in dist/ (bin/build.js: `npm run build`, which
// `npm ci` and the Docker build run), or the TypeScript sources through tsx, a dev dependency,
// when dist/ is missing or older than a source, and says so: edited code never runs stale.
import module from 'node:module';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { distState } from './dist.js';

/** The command (`check`, `run`, …): the first argument that is neither an option nor --log-format's value. */
function commandWord(args) {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--log-format') i++;
    else if (!args[i].startsWith('-')) return args[i];
  }
  return undefined;
}

const command = commandWord(process.argv.slice(2));
// `check` runs once and exits. undici parses HTTP in WebAssembly, which V8 compiles quickly, then
// again optimised on a background thread, and Node waits at exit for that second compile (about
// 100 ms of CPU) whose code a few responses never use. Set before anything is compiled: V8's code
// cache (below) is only good for the flags it was made with.
if (command === 'check') setFlagsFromString('--liftoff-only');
const debug = ['debug', 'trace'].includes(process.env.VENDORWATCH_LOG_LEVEL ?? '');
// The stack an unexpected error shows at debug level names the TypeScript sources (dist/ has source maps).
if (debug) process.setSourceMapsEnabled(true);

const dist = distState();
// Node ≥ 22.1 keeps V8's compiled code of ES modules between runs (in the OS temp folder).
module.enableCompileCache?.();
if (dist.fresh && !module.enableCompileCache && command !== undefined && !debug) {
  // Older Node caches no ES module's code: a command runs the CommonJS build with V8's code cache.
  const { runWithCodeCache } = await import('./codeCache.js');
  runWithCodeCache(fileURLToPath(new URL('../dist/cli.cjs', import.meta.url)), dist.builtAt, /^[a-z]+$/.test(command) ? command : 'other');
} else if (dist.fresh) {
  // Also --version and --help (their split modules load almost nothing) and the debug level
  // (Node's loader maps stacks through the source maps; a vm script's would not be).
  await import('../dist/cli.js');
} else {
  const tsx = await import('tsx/esm/api').catch(() => undefined);
  if (!tsx) {
    process.stderr.write(`vendorwatch: ${dist.reason}, and tsx (a dev dependency) is not installed to run the sources: run \`npm run build\`\n`);
    process.exit(3);
  }
  process.stderr.write(`vendorwatch: ${dist.reason}; running the sources through tsx (slow start; \`npm run build\` compiles them)\n`);
  tsx.register();
  await import('../agent/cli.ts');
}
