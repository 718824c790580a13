/**
 * The child assets a page makes a browser fetch, found with real parsers: htmlparser2 for the
 * HTML, css-tree for stylesheets (`<style>`, `style=""` and fetched stylesheets). From HTML:
 * `<script src>`, `<link rel=stylesheet|preload|modulepreload|icon href>` (and a preload's
 * `imagesrcset`), `<img src|srcset>`, `<source src|srcset>`, `<video poster>`; from CSS: every
 * `url()` (backgrounds, `@font-face` src, …) and `@import`. URLs resolve against `<base href>`
 * (HTML) or the stylesheet's own URL (CSS); only http(s) URLs count, each once, in document order.
 * Parsing is bounded by bytes: what lies past the bound is not read, and the caller reports it.
 */
import { generate, parse, walk } from 'css-tree';
import { Parser } from 'htmlparser2';
import type { AssetSource } from '../../../../config/checks/http.ts';

export interface FoundAsset {
  url: string;
  source: AssetSource;
  /** A stylesheet: its body is parsed for more assets when fetched. */
  stylesheet: boolean;
}

export interface Discovery {
  assets: FoundAsset[];
  /** Bytes of the document (as far as it arrived) past the parse bound, left unread (0 when it was read whole). */
  unparsedBytes: number;
}

/** The link relations whose target a browser fetches as the page loads. */
const FETCHED_RELS: Partial<Record<string, AssetSource>> = {
  stylesheet: 'stylesheet',
  preload: 'preload',
  modulepreload: 'modulepreload',
  icon: 'icon',
};

/** Elements whose content a browser with scripting does not load from. */
const INERT = new Set(['noscript', 'template']);

/** Collects references, resolved at the end: `<base href>` applies to the whole document. */
class Found {
  private readonly refs: { ref: string; source: AssetSource; stylesheet: boolean; base?: string }[] = [];

  add(ref: string | undefined, source: AssetSource, stylesheet = false, base?: string): void {
    const trimmed = ref?.trim();
    if (trimmed) this.refs.push({ ref: trimmed, source, stylesheet, ...(base ? { base } : {}) });
  }

  resolve(documentBase: string): FoundAsset[] {
    const seen = new Set<string>();
    const out: FoundAsset[] = [];
    for (const { ref, source, stylesheet, base } of this.refs) {
      if (!URL.canParse(ref, base ?? documentBase)) continue; // the page's mistake, nothing to fetch
      const url = new URL(ref, base ?? documentBase);
      url.hash = '';
      if ((url.protocol !== 'http:' && url.protocol !== 'https:') || seen.has(url.href)) continue;
      seen.add(url.href);
      out.push({ url: url.href, source, stylesheet });
    }
    return out;
  }
}

/**
 * Reads at most maxBytes of a document, ending after the last of `ends` (bytes) within them, so a
 * URL cut in half is never taken for a whole one; says how many bytes were left. A document that
 * arrived only in part (`complete` false) ends that way too.
 */
function bounded(doc: Buffer, maxBytes: number, complete: boolean, ends: string): { text: string; unparsedBytes: number } {
  if (complete && doc.length <= maxBytes) return { text: doc.toString('utf8'), unparsedBytes: 0 };
  // ASCII bytes never occur inside a multi-byte UTF-8 character: searching bytes is safe.
  const within = Math.min(maxBytes, doc.length);
  const end = Math.max(0, ...[...ends].map((c) => doc.lastIndexOf(c.charCodeAt(0), within - 1) + 1));
  return { text: doc.subarray(0, end).toString('utf8'), unparsedBytes: doc.length - end };
}

/**
 * The URLs of a srcset (HTML's "parse a srcset attribute"): candidates are a URL and optional
 * descriptors (`2x`, `480w`), separated by commas; a URL may itself hold commas.
 */
export function srcsetUrls(srcset: string): string[] {
  const urls: string[] = [];
  let i = 0;
  while (i < srcset.length) {
    while (i < srcset.length && /[\s,]/.test(srcset[i]!)) i++;
    const start = i;
    while (i < srcset.length && !/\s/.test(srcset[i]!)) i++;
    let url = srcset.slice(start, i);
    if (!url) break;
    if (url.endsWith(','))
      url = url.replace(/,+$/, ''); // no descriptors: the comma ends the candidate
    else {
      // Skip the descriptors, up to the comma that is not inside parentheses.
      let depth = 0;
      for (; i < srcset.length && !(srcset[i] === ',' && depth === 0); i++) depth += srcset[i] === '(' ? 1 : srcset[i] === ')' ? -1 : 0;
    }
    if (url) urls.push(url);
  }
  return urls;
}

/** Adds the `url()`s and `@import`s of CSS text (a stylesheet, or a style attribute's declarations). */
function collectCss(css: string, found: Found, context: 'stylesheet' | 'declarationList' | 'value', base?: string, inline = false): void {
  // css-tree recovers from errors like a browser; a broken rule loses only itself.
  const ast = parse(css, { context, parseRulePrelude: false, onParseError: () => {} });
  walk(ast, (node) => {
    // A custom property's value is kept raw; its url() is fetched where the property is used.
    if (node.type === 'Declaration' && node.property.startsWith('--') && node.value.type === 'Raw') collectCss(node.value.value, found, 'value', base, inline);
    else if (node.type === 'Url') found.add(node.value, inline ? 'style' : 'css-url', false, base);
    else if (node.type === 'Atrule' && node.name.toLowerCase() === 'import' && node.prelude) {
      // `@import "x.css"` names its sheet by a string; `@import url(x.css)` is a Url the walk also visits.
      const first = node.prelude.type === 'AtrulePrelude' ? node.prelude.children.first : null;
      if (first?.type === 'String') found.add(first.value, 'css-import', true, base);
      else if (first?.type === 'Url') found.add(first.value, 'css-import', true, base);
      else if (node.prelude.type === 'Raw') found.add(/^\s*(?:url\()?\s*["']?([^"')\s]+)/i.exec(generate(node.prelude))?.[1], 'css-import', true, base);
    }
  });
}

/** The assets an HTML document references, reading at most maxBytes of it (`complete`: the whole document is there). */
export function htmlAssets(html: Buffer, pageUrl: string, maxBytes: number, complete = true): Discovery {
  const { text, unparsedBytes } = bounded(html, maxBytes, complete, '>');
  const found = new Found();
  let base: string | undefined;
  let inert = 0;
  let style: string | undefined;
  const parser = new Parser(
    {
      onopentag(name, a) {
        if (INERT.has(name)) inert++;
        if (inert) return;
        if (name === 'base' && base === undefined && a.href) base = a.href.trim();
        if (a.style) collectCss(a.style, found, 'declarationList', undefined, true);
        switch (name) {
          case 'script':
            found.add(a.src, 'script');
            break;
          case 'img':
            found.add(a.src, 'image');
            for (const u of srcsetUrls(a.srcset ?? '')) found.add(u, 'srcset');
            break;
          case 'source':
            found.add(a.src, 'image');
            for (const u of srcsetUrls(a.srcset ?? '')) found.add(u, 'srcset');
            break;
          case 'video':
            found.add(a.poster, 'image');
            break;
          case 'link': {
            const rels = (a.rel ?? '').toLowerCase().split(/\s+/);
            const source = rels.map((r) => FETCHED_RELS[r]).find(Boolean);
            if (!source) break;
            const isStyle = source === 'stylesheet' || (source === 'preload' && a.as?.toLowerCase() === 'style');
            found.add(a.href, source, isStyle);
            if (source === 'preload') for (const u of srcsetUrls(a.imagesrcset ?? '')) found.add(u, 'srcset');
            break;
          }
          case 'style':
            style = '';
            break;
        }
      },
      ontext(t) {
        if (style !== undefined) style += t;
      },
      onclosetag(name) {
        if (INERT.has(name)) inert = Math.max(0, inert - 1);
        if (name === 'style' && style !== undefined) {
          if (!inert) collectCss(style, found, 'stylesheet', undefined, true);
          style = undefined;
        }
      },
    },
    { decodeEntities: true },
  );
  parser.end(text);
  const documentBase = base !== undefined && URL.canParse(base, pageUrl) ? new URL(base, pageUrl).href : pageUrl;
  return { assets: found.resolve(documentBase), unparsedBytes };
}

/** The assets a stylesheet references (`url()`, `@import`), reading at most maxBytes of it (`complete`: the whole sheet is there). */
export function cssAssets(css: Buffer, sheetUrl: string, maxBytes: number, complete = true): Discovery {
  const { text, unparsedBytes } = bounded(css, maxBytes, complete, ';}');
  const found = new Found();
  collectCss(text, found, 'stylesheet');
  return { assets: found.resolve(sheetUrl), unparsedBytes };
}
