/**
 * Builds the beacon into beacon/dist/:
 *   beacon.js   the script-tag build (IIFE, minified; web-vitals included)
 *   beacon.mjs  an ES module for bundlers: `import { start } from '…/beacon.mjs'`
 *
 *   node --import tsx beacon/build.ts [--config config/vendorwatch.yaml]
 *
 * With --config, the vendors, page groups and privacy switches are inlined, and pages skip
 * fetching /v1/beacon/config. Files are replaced atomically, so a collector serving them (or a
 * test building at the same time) never reads half a file.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { loadConfig } from '../config/load.ts';
import { beaconConfig } from '../config/beacon.ts';

const DIST = join(import.meta.dirname, 'dist');
/** How both builds are bundled (the size benchmark bundles web-vitals alone the same way). */
export const BUNDLE_OPTIONS = { bundle: true, minify: true, target: 'es2020', legalComments: 'none' } as const;

export async function buildBeacon(opts: { configFile?: string; outdir?: string } = {}): Promise<void> {
  const outdir = opts.outdir ?? DIST;
  const inlined = opts.configFile ? JSON.stringify(beaconConfig(loadConfig(opts.configFile))) : 'undefined';
  const common = { ...BUNDLE_OPTIONS, write: false, define: { VENDORWATCH_CONFIG: inlined } } as const;
  const results = await Promise.all([
    build({ ...common, entryPoints: [join(import.meta.dirname, 'src/script.ts')], format: 'iife', outfile: join(outdir, 'beacon.js') }),
    build({ ...common, entryPoints: [join(import.meta.dirname, 'src/index.ts')], format: 'esm', outfile: join(outdir, 'beacon.mjs') }),
  ]);
  mkdirSync(outdir, { recursive: true });
  for (const file of results.flatMap((r) => r.outputFiles)) {
    const tmp = `${file.path}.${process.pid}.tmp`;
    writeFileSync(tmp, file.contents);
    renameSync(tmp, file.path);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const at = process.argv.indexOf('--config');
  await buildBeacon({ configFile: at > -1 ? process.argv[at + 1] : undefined });
}
