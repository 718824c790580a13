/**
 * A benchmark's helper script in a Node process of its own (optionally pinned to one CPU with
 * `taskset`), talked to in JSON lines: it writes a line when it is ready or has answered, reads
 * lines on stdin, and exits when its stdin closes, so it never outlives the benchmark.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { ROOT } from '../test/support/processes.ts';

interface ScriptProcess {
  pid: number;
  /** The next line the script writes on stdout; throws if it exits or stays silent for timeoutMs. */
  next(timeoutMs?: number): Promise<string>;
  send(line: string): void;
  /** Closes its stdin and waits for it to exit (killed after 10 s). */
  close(): Promise<void>;
}

export function startScript(file: string, args: readonly string[], opts: { cpu?: number } = {}): ScriptProcess {
  const node = [process.execPath, '--import', 'tsx', file, ...args];
  const [cmd, ...rest] = opts.cpu === undefined ? node : ['taskset', '-c', String(opts.cpu), ...node];
  const child = spawn(cmd!, rest, { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const lines: string[] = [];
  let waiting: (() => void) | undefined;
  createInterface({ input: child.stdout }).on('line', (line) => {
    lines.push(line);
    waiting?.();
  });
  return {
    pid: child.pid!,
    async next(timeoutMs = 30_000) {
      if (!lines.length) {
        const arrived = new Promise<void>((resolve) => (waiting = resolve));
        await Promise.race([arrived, exited, sleep(timeoutMs, undefined, { ref: false })]);
        waiting = undefined;
      }
      const line = lines.shift();
      if (line === undefined)
        throw new Error(`${file} ${child.exitCode === null ? `wrote nothing for ${timeoutMs} ms` : `exited with code ${child.exitCode}`}`);
      return line;
    },
    send: (line) => void child.stdin.write(`${line}\n`),
    async close() {
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The JSON line a script writes once it is ready; a script that writes none is closed. */
export async function readyLine<T>(script: ScriptProcess, what: string, timeoutMs?: number): Promise<T> {
  try {
    return JSON.parse(await script.next(timeoutMs)) as T;
  } catch (err) {
    await script.close();
    throw new Error(`${what} did not start: ${(err as Error).message}`, { cause: err });
  }
}

/** Runs `serve` when `moduleUrl` is the script node was started with, and exits once stdin closes. */
export async function runScript(moduleUrl: string, serve: (args: string[]) => Promise<() => Promise<void>>): Promise<void> {
  if (process.argv[1] !== fileURLToPath(moduleUrl)) return;
  const stop = await serve(process.argv.slice(2));
  process.stdin.on('close', async () => {
    await stop();
    process.exit(0);
  });
  process.stdin.resume();
}
