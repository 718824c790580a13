/** Whether this page load may be measured at all. Consent is asked separately (see index.ts). */
import type { BeaconConfig } from '../../config/beacon.ts';

export function mayMeasure(config: BeaconConfig): boolean {
  const nav = navigator as Navigator & { globalPrivacyControl?: boolean };
  if (config.respectDoNotTrack && (nav.doNotTrack === '1' || nav.globalPrivacyControl === true)) return false;
  return Math.random() < config.sampleRate;
}
