/**
 * The script-tag build:
 *   <script src="https://collector.example.com/beacon.js" data-collector="https://collector.example.com" async></script>
 * data-collector defaults to where beacon.js came from. The page talks to it through
 * `window.vendorwatch`; calls made before the script ran wait in an array, as with analytics
 * snippets: `(window.vendorwatch = window.vendorwatch || []).push(['consent', true])`.
 */
import { start, type Beacon } from './index.ts';

type Command = ['consent', boolean];
const w = window as Window & { vendorwatch?: Beacon | Command[] };
const script = document.currentScript as HTMLScriptElement | null;

if (script && !(w.vendorwatch && 'consent' in w.vendorwatch)) {
  const waiting = Array.isArray(w.vendorwatch) ? w.vendorwatch : [];
  const beacon = start({ collector: script.dataset.collector || new URL(script.src).origin });
  for (const [, granted] of waiting) beacon.consent(granted);
  w.vendorwatch = beacon;
}
