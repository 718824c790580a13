import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium, headless, with the project's standard flags. */
export function launchChromium(opts: { args?: string[]; bfcache?: boolean } = {}): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      ...(opts.args ?? []),
    ],
    // Playwright turns the back/forward cache off by default.
    ignoreDefaultArgs: opts.bfcache ? ['--disable-back-forward-cache'] : [],
  });
}
