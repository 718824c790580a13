/**
 * The bucket bounds of the RUM duration histograms, in seconds: 5 ms to 30 s. Apart from the
 * metrics (metrics.ts) so the report and the generated rules can read them without registering
 * RUM metrics in every process that loads the CLI.
 */
export const rumBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.8, 1, 1.5, 2, 3, 5, 8, 13, 30];
