/**
 * Runs dist/cli.cjs with V8's code cache, for Node before 22.1 (which has no
 * module.enableCompileCache): V8 then deserializes the compiled code of the functions a command
 * ran last time instead of parsing and compiling the whole CLI again, most of a short command's
 * start on this Node.
 *
 * One cache file per command, written at exit when there was none or V8 refused it: it holds the
 * code of every function that command compiled, so `check` finds the check's code and `--version`
 * only its own. The files are in $XDG_CACHE_HOME/vendorwatch (~/.cache/vendorwatch), never in the
 * install folder; each starts with the build, Node version and source length it is good for.
 * Anything wrong with a cache (missing, unreadable, from another build, refused by V8, a read-only
 * or missing folder) only means a start without it: nothing here ever stops the CLI.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';

/** Exit codes after which a command's cache is written: it ran (0, or 1 for a failed check), rather than refusing its arguments. */
const COMPLETED = new Set([0, 1]);

function cacheFolder() {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'vendorwatch');
}

/** The cache's first line: what it was made from. A cache made from anything else is ignored. */
function cacheKey(builtAt, source) {
  return `${builtAt} ${process.version} ${process.arch} ${source.length}\n`;
}

function readCache(file, key) {
  try {
    const data = readFileSync(file);
    return data.subarray(0, key.length).toString('latin1') === key ? data.subarray(key.length) : undefined;
  } catch {
    return undefined;
  }
}

/** Makes the cache folder and its parent (~/.cache), no deeper: a recursive mkdir can spin forever where mkdir answers ENOENT for an existing parent (/proc). */
function makeFolder(folder) {
  for (const dir of [dirname(folder), folder]) {
    try {
      mkdirSync(dir);
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
    }
  }
}

function writeCache(file, key, data) {
  try {
    makeFolder(dirname(file));
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, Buffer.concat([Buffer.from(key, 'latin1'), data]));
    renameSync(tmp, file);
  } catch {
    // A read-only or full disk: the next start compiles again.
  }
}

/** Runs the CommonJS CLI at `file` (built at `builtAt`, dist/build.json) for `command` (a word: the cache's name). */
export function runWithCodeCache(file, builtAt, command) {
  const source = readFileSync(file, 'utf8');
  const key = cacheKey(builtAt, source);
  const cacheFile = join(cacheFolder(), `${command}.v8cache`);
  const cachedData = readCache(cacheFile, key);
  // A CommonJS module's wrapper, plus the import() of this ES module for what the CLI loads at run
  // time (playwright-core, a transaction script): a vm script has none on Node 20 (bin/build.js).
  const wrapped = `(function (exports, require, module, __filename, __dirname, __vwImport) {${source}\n})`;
  const script = new Script(wrapped, { filename: file, cachedData });
  if (!cachedData || script.cachedDataRejected) {
    // At exit the cache also holds the functions compiled while the command ran, not only the top level.
    process.once('exit', (code) => COMPLETED.has(code) && writeCache(cacheFile, key, script.createCachedData()));
  }
  const module = { exports: {}, filename: file, id: file, loaded: false };
  script.runInThisContext()(module.exports, Module.createRequire(file), module, file, dirname(file), (specifier) => import(specifier));
}
