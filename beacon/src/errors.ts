/**
 * Failed loads of scripts, images and stylesheets. Their error events do not bubble, so they are
 * caught at the window in the capture phase. A cross-origin script's failure shows no status in
 * Resource Timing; this event is the only sign of it.
 */
export function observeLoadErrors(onError: (url: string) => void): void {
  addEventListener(
    'error',
    (event) => {
      const t = event.target;
      const url = t instanceof HTMLScriptElement ? t.src : t instanceof HTMLImageElement ? t.currentSrc || t.src : t instanceof HTMLLinkElement ? t.href : '';
      if (url) onError(url);
    },
    true,
  );
}
