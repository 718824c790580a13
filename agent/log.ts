import { pino, type Logger } from 'pino';

export type { Logger };

/** JSON-lines logs on stderr, so stdout stays free for `check --json`. */
export function createLogger(level = process.env.VENDORWATCH_LOG_LEVEL ?? 'info'): Logger {
  return pino({ level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination({ fd: 2, sync: true }));
}
