/** The SLA report's output formats (render.ts); a list of its own so the CLI can offer it without loading the report code. */
export const reportFormats = ['md', 'json', 'csv'] as const;
export type ReportFormat = (typeof reportFormats)[number];
