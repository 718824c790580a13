/**
 * Escaping for the status page: every value is escaped by the `html` template tag; only markup
 * written in our own templates is trusted.
 */

/** Markup that is safe to emit as is: only the `html` tag makes it. */
export class Html {
  constructor(readonly text: string) {}
}
type Part = Html | string | number | null | undefined | false | readonly Part[];

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escape = (s: string) => s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

function emit(part: Part): string {
  if (part === null || part === undefined || part === false) return '';
  if (part instanceof Html) return part.text;
  if (Array.isArray(part)) return part.map(emit).join('');
  return escape(String(part));
}

/** A template whose interpolations are escaped unless they are Html themselves. */
export function html(strings: TemplateStringsArray, ...parts: Part[]): Html {
  return new Html(strings.reduce((out, s, i) => out + s + (i < parts.length ? emit(parts[i]!) : ''), ''));
}
