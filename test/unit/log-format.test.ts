import { describe, expect, it } from 'vitest';
import { chooseLogFormat, prettyLine } from '../../agent/log.ts';

describe('log format', () => {
  it('is pretty at a terminal and JSON elsewhere, unless the flag or the environment says otherwise', () => {
    expect(chooseLogFormat(undefined, undefined, true)).toBe('pretty');
    expect(chooseLogFormat(undefined, undefined, false)).toBe('json');
    expect(chooseLogFormat(undefined, 'json', true)).toBe('json');
    expect(chooseLogFormat('pretty', 'json', false)).toBe('pretty');
    expect(() => chooseLogFormat('yaml')).toThrow(/json, pretty; got "yaml"/);
  });

  it('prints a pino line as time, level name, message and key=value fields', () => {
    const json = JSON.stringify({
      level: 'warn',
      time: '2026-12-03T10:18:05.123Z',
      pid: 1,
      name: 'vendorwatch',
      msg: 'check failed',
      check: 'cdn',
      reason: 'dns',
      message: 'no such host',
    });
    expect(prettyLine(json, false)).toBe('10:18:05.123 WARN  check failed check=cdn reason=dns message="no such host"\n');
  });

  it("shows an error's message as a field and its stack below", () => {
    const json = JSON.stringify({ level: 'error', time: '2026-12-03T10:18:05.123Z', msg: 'boom', err: { message: 'bad', stack: 'Error: bad\n    at x' } });
    expect(prettyLine(json, false)).toBe('10:18:05.123 ERROR boom err="bad"\n    Error: bad\n        at x\n');
  });
});
