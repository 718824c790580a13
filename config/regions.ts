import type { Check } from './schema.ts';

/** Only the checks meant for probes in this region (a check without `regions` runs in all). */
export function checksForRegion(checks: readonly Check[], region: string): Check[] {
  return checks.filter((c) => !c.regions || c.regions.includes(region));
}
