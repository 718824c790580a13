/**
 * Vendor attribution by host pattern, shared by the agent and the browser beacon,
 * so it must stay free of Node and zod imports.
 *
 * A pattern is a host ("static.example.com"), optionally with a port ("127.0.0.1:8081"),
 * or a wildcard ("*.acmecdn.net", which matches any subdomain but not the apex).
 */
export function hostMatches(pattern: string, host: string, port?: string): boolean {
  const p = pattern.toLowerCase();
  const h = host.toLowerCase();
  const colon = p.lastIndexOf(':');
  const hasPort = colon > -1 && !p.endsWith(']') && /^\d+$/.test(p.slice(colon + 1));
  const patternHost = hasPort ? p.slice(0, colon) : p;
  if (hasPort && p.slice(colon + 1) !== (port ?? '')) return false;
  if (patternHost.startsWith('*.')) return h.endsWith(patternHost.slice(1)) && h.length > patternHost.length - 1;
  return patternHost === h;
}

export interface VendorHosts {
  name: string;
  hosts: string[];
  identify?: { header: string; match: string } | undefined;
}

/** The vendor whose host patterns match a URL, or undefined. The first matching vendor wins. */
export function vendorForUrl(vendors: readonly VendorHosts[], url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  for (const v of vendors) if (v.hosts.some((p) => hostMatches(p, host, parsed.port))) return v.name;
  return undefined;
}

/**
 * The vendor named by a response header, such as Server-Timing "cdn;desc=acme",
 * which tells which CDN served a vendor-agnostic hostname.
 */
export function vendorForHeader(vendors: readonly VendorHosts[], header: string, value: string): string | undefined {
  const h = header.toLowerCase();
  const lower = value.toLowerCase();
  for (const v of vendors) {
    if (v.identify && v.identify.header.toLowerCase() === h && lower.includes(v.identify.match.toLowerCase())) return v.name;
  }
  return undefined;
}
