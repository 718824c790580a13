/**
 * The region of a page view, decided at the collector (the beacon never says where it is): a
 * country code from a header the site's own CDN or load balancer sets (rum.country.header), else
 * the client address looked up in a MaxMind-format country database (rum.country.database), read
 * into memory once at start so a lookup is a read of a buffer, never a network call. The country
 * becomes a probe region by rum.regions; everything else (unmapped, unknown, private addresses)
 * is "other", so the `region` label is bounded by the config.
 *
 * The address is only looked up: never stored, logged or exported.
 */
import { readFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { Reader, type CountryResponse } from 'maxmind';
import type { Config } from '../../../config/schema.ts';

export const OTHER_REGION = 'other';

/** GeoLite2/GeoIP2 databases hold `country.iso_code`; the ip-location-db builds a flat `country_code`. */
type CountryRecord = CountryResponse & { country_code?: string };

export interface RegionResolver {
  /** The configured regions and "other": every value `regionOf` can answer. */
  readonly regions: readonly string[];
  regionOf(headers: IncomingHttpHeaders, address: string): string;
}

/** Opens the country database (if configured) once; throws with the path when it cannot be read. */
export function regionResolver(rum: Config['rum']): RegionResolver {
  const regionOfCountry = new Map<string, string>();
  for (const [region, countries] of Object.entries(rum.regions)) for (const c of countries) regionOfCountry.set(c, region);
  const header = rum.country.header?.toLowerCase();
  const db = rum.country.database ? openCountryDatabase(rum.country.database) : undefined;

  const countryOf = (headers: IncomingHttpHeaders, address: string): string | undefined => {
    const told = header ? headers[header] : undefined;
    if (typeof told === 'string' && told) return told.trim().toUpperCase();
    if (!db || !address) return undefined;
    try {
      const found = db.get(address.startsWith('::ffff:') ? address.slice(7) : address);
      return (found?.country?.iso_code ?? found?.country_code)?.toUpperCase();
    } catch {
      return undefined; // not an IP address (a forwarded-for header can say anything)
    }
  };

  return {
    regions: [...Object.keys(rum.regions), OTHER_REGION],
    regionOf(headers, address) {
      // Every region is the fallback's when nothing is configured: no lookup at all.
      if (!regionOfCountry.size) return OTHER_REGION;
      const country = countryOf(headers, address);
      return (country && regionOfCountry.get(country)) || OTHER_REGION;
    },
  };
}

function openCountryDatabase(path: string): Reader<CountryRecord> {
  let buffer: Buffer;
  try {
    buffer = readFileSync(path);
  } catch (err) {
    throw new Error(`rum.country.database: cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  try {
    return new Reader<CountryRecord>(buffer);
  } catch (err) {
    throw new Error(`rum.country.database: ${path} is not a MaxMind-format database: ${(err as Error).message}`, { cause: err });
  }
}
