/** The fleet most collector tests push as: two probes in each of two regions, as [probe, region]. */
export const FOUR_PROBES = [
  ['eu-1', 'eu'],
  ['eu-2', 'eu'],
  ['us-1', 'us'],
  ['us-2', 'us'],
] as const;
