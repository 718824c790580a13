import { spawnSync } from 'node:child_process';
import { tempDir } from './processes.ts';

export interface Tmpfs {
  dir: string;
  unmount(): void;
}

/**
 * A real tmpfs of `size` (e.g. "64k") on a new temp dir, for full-disk tests: a disk that really
 * fills, with the short writes and ENOSPC a real one gives. Undefined where mounting is not
 * permitted (not root, or no CAP_SYS_ADMIN in a container); tests then skip.
 */
export function mountTmpfs(size: string): Tmpfs | undefined {
  const dir = tempDir('vendorwatch-tmpfs-');
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { encoding: 'utf8' });
  if (mounted.status !== 0) return undefined;
  return { dir, unmount: () => void spawnSync('umount', ['--lazy', dir]) };
}

export const NO_TMPFS = 'skipped: mounting a tmpfs is not permitted here (run as root, or with CAP_SYS_ADMIN)';
