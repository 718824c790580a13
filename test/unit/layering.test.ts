/**
 * The import boundaries of docs/architecture.md, kept by this test until a lint rule keeps them:
 * config/ (the contract layer) imports nothing of ours from outside config/, and beacon/ (the
 * browser bundle and its build) imports nothing from agent/. Node built-ins and npm packages are
 * allowed everywhere.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

/** Every import, export-from, dynamic import and require in a source, with its line. */
function importsOf(source: string): { specifier: string; line: number }[] {
  return ts.preProcessFile(source, true, true).importedFiles.map(({ fileName, pos }) => ({
    specifier: fileName,
    line: source.slice(0, pos).split('\n').length,
  }));
}

/** The .ts and .js files under a top-level folder, as paths from the repository root; build output left out. */
function sourceFiles(folder: string): string[] {
  return readdirSync(join(ROOT, folder), { recursive: true, encoding: 'utf8' })
    .filter((file) => /\.[jt]s$/.test(file) && !file.split(sep).includes('dist'))
    .map((file) => join(folder, file));
}

/** The top-level folder a relative import lands in ("config", "agent", ".." outside the repository); undefined for node: and npm packages. */
function folderOf(file: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.') && !specifier.startsWith('/')) return undefined;
  return relative(ROOT, resolve(ROOT, dirname(file), specifier)).split(sep)[0];
}

/** "file:line imports 'specifier'" for every import from a file under `folder` into a forbidden folder. */
function crossings(folder: string, forbidden: (target: string) => boolean): string[] {
  return sourceFiles(folder).flatMap((file) =>
    importsOf(readFileSync(join(ROOT, file), 'utf8'))
      .filter(({ specifier }) => {
        const target = folderOf(file, specifier);
        return target !== undefined && forbidden(target);
      })
      .map(({ specifier, line }) => `${file}:${line} imports '${specifier}'`),
  );
}

describe('import boundaries', () => {
  it('config/ imports nothing of ours from outside config/', () => {
    expect(crossings('config', (target) => target !== 'config')).toEqual([]);
  });

  it('beacon/ imports nothing from agent/', () => {
    expect(crossings('beacon', (target) => target === 'agent')).toEqual([]);
  });

  // A reader that found nothing would pass the two tests above whatever the code does.
  it('reads every form of import, and finds the files', () => {
    const source = [
      "import { z } from 'zod';",
      'import {',
      '  a,',
      "} from '../agent/metrics.ts';",
      "import type { B } from './b.ts';",
      "export { c } from '../beacon/c.ts';",
      "const d = await import('../agent/d.ts');",
      "import 'node:fs';",
    ].join('\n');
    expect(importsOf(source)).toEqual([
      { specifier: 'zod', line: 1 },
      { specifier: '../agent/metrics.ts', line: 4 },
      { specifier: './b.ts', line: 5 },
      { specifier: '../beacon/c.ts', line: 6 },
      { specifier: '../agent/d.ts', line: 7 },
      { specifier: 'node:fs', line: 8 },
    ]);
    expect(sourceFiles('config')).toContain(join('config', 'checks', 'browser.ts'));
    expect(sourceFiles('beacon')).toContain(join('beacon', 'src', 'index.ts'));
    expect(folderOf('config/checks/browser.ts', '../../agent/x.ts')).toBe('agent');
  });
});
