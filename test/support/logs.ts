import { pino } from 'pino';

export interface LogLine {
  msg: string;
  [key: string]: unknown;
}

/** A logger whose lines a test can read, parsed. */
export function recordingLogger() {
  const lines: LogLine[] = [];
  return { lines, logger: pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s)) }) };
}
