/**
 * The child assets an HTML page references: scripts, stylesheets and images, resolved to
 * absolute URLs in document order. A tolerant scan of tags, not a full HTML parser: it only
 * has to find what a browser would fetch first.
 */

const TAG = /<(script|link|img|base)\b([^>]*)>/gi;
const ATTRIBUTE = /([^\s"'=<>/]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))/g;
const ENTITIES: Record<string, string> = { '&amp;': '&', '&quot;': '"', '&#39;': "'", '&apos;': "'", '&lt;': '<', '&gt;': '>' };

function attributes(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of text.matchAll(ATTRIBUTE)) {
    const value = (m[2] ?? m[3] ?? m[4] ?? '').replace(/&(amp|quot|#39|apos|lt|gt);/g, (e) => ENTITIES[e]!);
    if (!out.has(m[1]!.toLowerCase())) out.set(m[1]!.toLowerCase(), value.trim());
  }
  return out;
}

export function childAssets(html: string, pageUrl: string): string[] {
  let base = pageUrl;
  const found: string[] = [];
  const add = (ref: string | undefined) => {
    if (!ref) return;
    try {
      const url = new URL(ref, base);
      url.hash = '';
      if ((url.protocol === 'http:' || url.protocol === 'https:') && !found.includes(url.href)) found.push(url.href);
    } catch {
      // An unparseable reference is the page's problem, not a fetchable asset.
    }
  };
  let sawBase = false;
  for (const [, tag, attrs] of html.replace(/<!--[\s\S]*?-->/g, '').matchAll(TAG)) {
    const a = attributes(attrs!);
    switch (tag!.toLowerCase()) {
      case 'base':
        if (!sawBase && a.get('href')) {
          sawBase = true;
          base = URL.canParse(a.get('href')!, pageUrl) ? new URL(a.get('href')!, pageUrl).href : pageUrl;
        }
        break;
      case 'script':
      case 'img':
        add(a.get('src'));
        break;
      case 'link':
        if ((a.get('rel') ?? '').toLowerCase().split(/\s+/).includes('stylesheet')) add(a.get('href'));
        break;
    }
  }
  return found;
}
