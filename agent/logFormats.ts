/** The formats of log lines on stderr (log.ts); a list of its own so the CLI can offer it without loading the logger. */
export const logFormats = ['json', 'pretty'] as const;
export type LogFormat = (typeof logFormats)[number];
