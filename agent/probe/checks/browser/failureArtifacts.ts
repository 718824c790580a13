/**
 * Where failed browser runs leave their screenshot and trace: one folder per failed run,
 * <dir>/<check>/<UTC time>-<result id>/, pruned to the newest `keep` and to `max_age`.
 */
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { BrowserCheck } from '../../../../config/checks/browser.ts';

type ArtifactsConfig = BrowserCheck['artifacts'];

/** Creates the folder for one failed run; names sort oldest first. */
export async function runFolder(config: ArtifactsConfig, check: string, startedAt: number, id: string): Promise<string> {
  const time = new Date(startedAt).toISOString().replace(/[:.]/g, '-');
  const dir = resolve(config.dir, check, `${time}-${id.slice(0, 8)}`);
  await mkdir(dir, { recursive: true });
  return dir;
}

/** Deletes a check's failed-run folders beyond the newest `keep` and those older than `max_age`. */
export async function pruneRuns(config: ArtifactsConfig, check: string, now = Date.now()): Promise<void> {
  const base = resolve(config.dir, check);
  const folders = (await readdir(base, { withFileTypes: true }).catch(() => []))
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort()
    .reverse();
  await Promise.all(
    folders.map(async (name, i) => {
      const path = join(base, name);
      const modified = (await stat(path).catch(() => undefined))?.mtimeMs ?? now;
      const old = i >= config.keep || now - modified > config.max_age;
      if (old) await rm(path, { recursive: true, force: true });
    }),
  );
}
