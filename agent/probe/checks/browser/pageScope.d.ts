// What pageReporter.js finds in the page: web-vitals' IIFE, injected before it in the same
// function scope, and the binding the probe exposes (transactionRecorder.ts). Types only.
import type * as WebVitals from 'web-vitals';

declare global {
  const webVitals: typeof WebVitals;
  /** Takes one PageReport as JSON. */
  var __vendorwatch: (json: string) => void;
  /** Returns the entries not reported yet, as one PageReport in JSON. */
  var __vendorwatchFlush: () => string;
}
