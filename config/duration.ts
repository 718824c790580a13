import { z } from 'zod';

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;
const WHOLE = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/;

/** Parses "500ms", "10s", "5m", "1h30m" into milliseconds. */
export function parseDuration(text: string): number {
  if (!WHOLE.test(text)) throw new Error(`expected a duration like "10s", got ${JSON.stringify(text)}`);
  let ms = 0;
  for (const [, n, unit] of text.matchAll(PART)) ms += Number(n) * UNIT_MS[unit as keyof typeof UNIT_MS];
  return Math.round(ms);
}

/** A duration written as a string in config, parsed to milliseconds. */
export const duration = z
  .string()
  .regex(WHOLE, { message: 'expected a duration like "10s" (units: ms, s, m, h, d)' })
  .transform(parseDuration)
  .refine((ms) => ms > 0, { message: 'duration must be greater than zero' });
