// @ts-check
// Runs inside every frame a browser check loads. transactionRecorder.ts injects it after
// web-vitals' IIFE, which defines `webVitals` in the same function scope. It reports through the
// `__vendorwatch` binding: the frame's Resource Timing entries and, for the top frame, its
// Navigation Timing and web vitals. `__vendorwatchFlush()` returns what is not reported yet.
// Plain JavaScript, read as text: it must reach the page exactly as written. Its types (JSDoc,
// checked by tsc) are those of the schema transactionRecorder.ts validates its reports with;
// pageScope.d.ts declares what it finds in the page.

/** @typedef {import('./transactionRecorder.ts').PageReport} PageReport */
/** @typedef {import('./transactionRecorder.ts').ReportedEntry} ReportedEntry */

const send = self.__vendorwatch;
const isTop = self === self.top;
const timeOrigin = performance.timeOrigin;
/** @type {NonNullable<PageReport['vitals']>} */
const vitals = {};

/**
 * Origin and path only: query strings and fragments may carry tokens or personal data.
 * @param {string} url
 */
function clean(url) {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.origin + u.pathname : '';
  } catch {
    return '';
  }
}

/**
 * @param {PerformanceResourceTiming} e
 * @returns {ReportedEntry}
 */
function entry(e) {
  return {
    name: clean(e.name),
    initiatorType: e.initiatorType,
    startTime: e.startTime,
    duration: e.duration,
    transferSize: e.transferSize,
    encodedBodySize: e.encodedBodySize,
    decodedBodySize: e.decodedBodySize,
    responseStart: e.responseStart,
    nextHopProtocol: e.nextHopProtocol,
    responseStatus: e.responseStatus || 0,
    serverTiming: (e.serverTiming || []).map((s) => ({ name: s.name, description: s.description })),
  };
}

/** @returns {PageReport['navigation']} */
function navigation() {
  const n = isTop && /** @type {PerformanceNavigationTiming | undefined} */ (performance.getEntriesByType('navigation')[0]);
  if (!n) return undefined;
  const tlsStart = n.secureConnectionStart > 0 ? n.secureConnectionStart : 0;
  return {
    url: clean(location.href),
    entry: entry(n),
    timing: {
      dns: n.domainLookupEnd - n.domainLookupStart,
      connect: (tlsStart || n.connectEnd) - n.connectStart,
      tls: tlsStart ? n.connectEnd - tlsStart : -1,
      ttfb: n.responseStart - n.requestStart,
      transfer: n.responseEnd > 0 ? n.responseEnd - n.responseStart : -1,
      domContentLoaded: n.domContentLoadedEventEnd || -1,
      load: n.loadEventEnd || -1,
    },
  };
}

/** @param {PerformanceEntryList} list */
function report(list) {
  /** @type {PageReport} */
  const page = {
    timeOrigin,
    resources: list.map((e) => entry(/** @type {PerformanceResourceTiming} */ (e))).filter((e) => e.name),
    navigation: navigation(),
    vitals: isTop ? vitals : undefined,
  };
  return JSON.stringify(page);
}

/** @param {PerformanceEntryList} list */
function post(list) {
  try {
    send(report(list));
  } catch {
    // The binding is gone (context closing); nothing to report to.
  }
}

const observer = new PerformanceObserver((list) => post(list.getEntries()));
observer.observe({ type: 'resource', buffered: true });
self.__vendorwatchFlush = () => report(observer.takeRecords());

if (isTop) {
  addEventListener('DOMContentLoaded', () => post([]));
  addEventListener('load', () => setTimeout(() => post([])));
  for (const on of [webVitals.onLCP, webVitals.onFCP, webVitals.onTTFB, webVitals.onCLS, webVitals.onINP]) {
    on(
      (metric) => {
        vitals[metric.name] = metric.value;
        post([]);
      },
      { reportAllChanges: true },
    );
  }
}
