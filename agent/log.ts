import { pino, type Logger } from 'pino';

import { logFormats, type LogFormat } from './logFormats.ts';

export type { Logger };

/**
 * The format asked for (--log-format), else VENDORWATCH_LOG_FORMAT, else pretty for a person at
 * a terminal and JSON lines for everything else (files, pipes, log shippers).
 */
export function chooseLogFormat(asked?: string, env = process.env.VENDORWATCH_LOG_FORMAT, tty = process.stderr.isTTY === true): LogFormat {
  const choice = asked ?? env;
  if (choice === undefined || choice === '') return tty ? 'pretty' : 'json';
  if (!(logFormats as readonly string[]).includes(choice)) throw new Error(`log format must be one of ${logFormats.join(', ')}; got "${choice}"`);
  return choice as LogFormat;
}

/** Logs on stderr, so stdout stays free for `check --json`: JSON lines, or one readable line each. */
export function createLogger(level = process.env.VENDORWATCH_LOG_LEVEL ?? 'info', format: LogFormat = chooseLogFormat()): Logger {
  const options = {
    level,
    name: 'vendorwatch',
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  if (format === 'pretty') return pino(options, { write: (line: string) => void process.stderr.write(prettyLine(line)) });
  return pino(options, pino.destination({ fd: 2, sync: true }));
}

const LEVEL_COLOURS: Record<string, string> = { trace: '90', debug: '90', info: '32', warn: '33', error: '31', fatal: '35' };
/** Fields every line has: shown in the line's head, or not at all. */
const HEAD_FIELDS = new Set(['time', 'level', 'msg', 'name', 'pid', 'hostname']);

/** One pino JSON line as `HH:MM:SS.mmm LEVEL message key=value …`, with an error's stack below it. */
export function prettyLine(json: string, colour = process.stderr.hasColors?.() === true): string {
  const entry = JSON.parse(json) as Record<string, unknown>;
  const level = String(entry.level);
  const paint = (code: string | undefined, text: string) => (colour && code ? `\x1b[${code}m${text}\x1b[0m` : text);
  const time = typeof entry.time === 'string' ? entry.time.slice(11, 23) : '';
  const fields = Object.entries(entry)
    .filter(([key]) => !HEAD_FIELDS.has(key))
    .map(([key, value]) => `${paint('90', `${key}=`)}${fieldValue(key, value)}`);
  const err = entry.err as { stack?: string } | undefined;
  const stack = typeof err?.stack === 'string' ? `\n${err.stack.replace(/^/gm, '    ')}` : '';
  return `${time} ${paint(LEVEL_COLOURS[level], level.toUpperCase().padEnd(5))} ${entry.msg ?? ''}${fields.length ? ` ${fields.join(' ')}` : ''}${stack}\n`;
}

function fieldValue(key: string, value: unknown): string {
  if (key === 'err' && value && typeof value === 'object' && 'message' in value) return JSON.stringify((value as { message: unknown }).message);
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value);
}
