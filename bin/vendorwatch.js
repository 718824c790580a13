#!/usr/bin/env node
// The one entry point. It runs the compiled CLI in dist/ (bin/build.js: `npm run build`, which
// `npm ci` and the Docker build run), or the TypeScript sources through tsx, a dev dependency,
// when dist/ is missing or older than a source, and says so: edited code never runs stale.
import module from 'node:module';
import { distState } from './dist.js';

// Node ≥ 22.1 keeps V8's compiled code between runs (in the OS temp folder): later starts skip
// most of the parsing. Older Node has no such cache and starts as before.
module.enableCompileCache?.();
// The stack an unexpected error shows at debug level names the TypeScript sources (dist/ has source maps).
if (['debug', 'trace'].includes(process.env.VENDORWATCH_LOG_LEVEL ?? '')) process.setSourceMapsEnabled(true);

const dist = distState();
if (dist.fresh) {
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
