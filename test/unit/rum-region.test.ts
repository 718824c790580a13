/**
 * A page view's region (agent/collector/rum/region.ts): the trusted header first, then a real
 * GeoLite2 country database (the ip-location-db build, a dev dependency), then "other". The
 * addresses are ones whose country that database states for a well-known range (RIPE NCC's own
 * network in the Netherlands, a Japanese academic /8); the assertions are that database's answer.
 */
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { regionResolver } from '../../agent/collector/rum/region.ts';
import { rumSchema } from '../../config/rum.ts';
import { tempDir } from '../support/processes.ts';

const GEOLITE2 = createRequire(import.meta.url).resolve('@ip-location-db/geolite2-country-mmdb/geolite2-country.mmdb');

const rum = (over: Record<string, unknown>) => rumSchema.parse({ regions: { 'eu-west': ['NL', 'DE'], 'ap-south': ['JP', 'IN'] }, ...over });

describe('region of a page view', () => {
  it('looks the client address up in a MaxMind-format country database, IPv4, IPv6 and v4-mapped', () => {
    const { regionOf, regions } = regionResolver(rum({ country: { database: GEOLITE2 } }));
    expect(regions).toEqual(['eu-west', 'ap-south', 'other']);
    expect(regionOf({}, '193.0.6.139')).toBe('eu-west'); // RIPE NCC, Amsterdam: NL
    expect(regionOf({}, '::ffff:193.0.6.139')).toBe('eu-west');
    expect(regionOf({}, '133.1.1.1')).toBe('ap-south'); // JP academic network
    expect(regionOf({}, '2001:4860:4860::8888')).toBe('other'); // US: no region configured for it
    expect(regionOf({}, '127.0.0.1')).toBe('other'); // not in the database
    expect(regionOf({}, 'not an address')).toBe('other');
    expect(regionOf({}, '')).toBe('other');
  });

  it('prefers the trusted header, whatever case the country is in; unknown countries are "other"', () => {
    const { regionOf } = regionResolver(rum({ country: { header: 'CF-IPCountry', database: GEOLITE2 } }));
    expect(regionOf({ 'cf-ipcountry': 'jp' }, '193.0.6.139')).toBe('ap-south');
    expect(regionOf({ 'cf-ipcountry': 'XX' }, '193.0.6.139')).toBe('other'); // Cloudflare's "unknown"
    expect(regionOf({}, '193.0.6.139')).toBe('eu-west'); // no header: the database
  });

  it('answers "other" for every page view when no region is configured, and without a header or database', () => {
    expect(regionResolver(rumSchema.parse({ country: { header: 'x-country' } })).regionOf({ 'x-country': 'DE' }, '')).toBe('other');
    expect(regionResolver(rum({})).regionOf({ 'cf-ipcountry': 'DE' }, '193.0.6.139')).toBe('other');
  });

  it('refuses a database it cannot read, naming it', () => {
    const bogus = join(tempDir(), 'bogus.mmdb');
    writeFileSync(bogus, 'not a database');
    expect(() => regionResolver(rum({ country: { database: bogus } }))).toThrow(/rum\.country\.database: .*bogus\.mmdb is not a MaxMind-format database/);
    expect(() => regionResolver(rum({ country: { database: '/nonexistent.mmdb' } }))).toThrow(/cannot read \/nonexistent\.mmdb/);
  });

  it('refuses a region named "other" and a country in two regions', () => {
    expect(() => rumSchema.parse({ regions: { other: ['DE'] } })).toThrow(/other\\" is where every unmapped page view goes/);
    expect(() => rumSchema.parse({ regions: { a: ['DE'], b: ['de'] } })).toThrow(/DE is already in a/);
  });
});
