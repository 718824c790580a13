import type { z } from 'zod';
import type { commonCheckFields } from './common.ts';

/**
 * Only the checks meant for this probe's region. Typed by the common `regions` field rather than
 * `Check`, so that config/schema.ts can use it (effective settings) without an import cycle.
 */
export function checksForRegion<C extends { regions?: z.infer<typeof commonCheckFields.regions> }>(checks: readonly C[], region: string): C[] {
  return checks.filter((c) => !c.regions || c.regions.includes(region));
}
