/**
 * Whether dist/ (the compiled CLI, bin/build.js) may run: it exists and no source it was built
 * from changed since the build started. Costs a stat per source (a millisecond or two), so it runs
 * at every start. Sources that are missing, as in the Docker image, which ships dist/ alone, do
 * not make it stale.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..');
export const DIST = join(ROOT, 'dist');
export const BUILD_FILE = 'build.json';

/** `{ fresh: true, builtAt }` (when the build started, ms), or why not, in a few words. */
export function distState() {
  let build;
  try {
    build = JSON.parse(readFileSync(join(DIST, BUILD_FILE), 'utf8'));
  } catch {
    return { fresh: false, reason: 'dist/ is not built' };
  }
  for (const input of build.inputs) {
    const mtimeMs = statSync(join(ROOT, input), { throwIfNoEntry: false })?.mtimeMs ?? 0;
    if (mtimeMs > build.builtAt) return { fresh: false, reason: `${input} changed since dist/ was built` };
  }
  return { fresh: true, builtAt: build.builtAt };
}
