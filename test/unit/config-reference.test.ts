import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { duration } from '../../config/duration.ts';
import { configJsonSchema } from '../../config/jsonSchema.ts';
import { configReference, REGENERATE_REFERENCE } from '../../config/reference.ts';
import { ROOT } from '../support/processes.ts';

const reference = configReference(configJsonSchema());

/** Rows of the table under a heading, as { key, type, fallback, meaning }. */
function table(markdown: string, heading: string) {
  const start = markdown.indexOf(`\n${heading}\n`);
  expect(start, `no section "${heading}"`).toBeGreaterThan(-1);
  const rest = markdown.slice(start + heading.length + 2);
  const end = rest.search(/\n#{2,3} /);
  return (end === -1 ? rest : rest.slice(0, end))
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .map((line) => {
      const [key, type, fallback, meaning] = line
        .slice(2, -2)
        .split(/ (?<!\\)\| /)
        .map((c) => c.trim());
      return { key: key!.replace(/`/g, ''), type, fallback, meaning };
    });
}

describe('configuration reference', () => {
  it('is up to date in docs/configuration.md', () => {
    const shipped = readFileSync(join(ROOT, 'docs/configuration.md'), 'utf8');
    expect(shipped, `docs/configuration.md is stale; run: ${REGENERATE_REFERENCE}`).toBe(reference);
  });

  it('gives every key of the config a meaning, from the zod descriptions', () => {
    const undescribed: string[] = [];
    let heading = '';
    for (const line of reference.split('\n')) {
      if (/^#{2,3} /.test(line)) heading = line.replace(/^#+ /, '');
      else if (line.startsWith('| `') && line.endsWith('|  |')) undescribed.push(`${heading}: ${line.split(' | ')[0]!.slice(2)}`);
    }
    expect(undescribed, `add a .describe() to these keys in config/, then run: ${REGENERATE_REFERENCE}`).toEqual([]);
  });

  it('has a section for every object path, each check kind included', () => {
    const headings = reference.split('\n').filter((l) => /^#{2,3} /.test(l));
    for (const path of [
      'probe',
      'collector',
      'collector.flapping',
      'consensus',
      'alerts',
      'rum',
      'vendors[]',
      'checks[kind=http]',
      'checks[kind=http].expect',
      'checks[kind=http].profiles[]',
      'checks[kind=dns]',
      'checks[kind=dns].nameservers.discover',
      'checks[kind=dns].expect.per_region.*',
      'checks[kind=browser]',
      'checks[kind=browser].thresholds',
    ]) {
      expect(headings).toContainEqual(expect.stringMatching(new RegExp(`^#{2,3} \`${path.replace(/[[\].*]/g, '\\$&')}\`$`)));
    }
  });

  it('marks durations, required keys, defaults and the accepted values', () => {
    const http = table(reference, '## `checks[kind=http]`');
    expect(http.find((r) => r.key === 'interval')).toMatchObject({ type: 'duration', fallback: '`30s`' });
    expect(http.find((r) => r.key === 'url')).toMatchObject({ type: 'URL', fallback: '**required**' });
    expect(http.find((r) => r.key === 'role')?.type).toBe('`delivery` \\| `performance` \\| `control` \\| `telemetry`');
    expect(http.find((r) => r.key === 'regions')).toMatchObject({ type: 'list of names (at least 1)', fallback: '—' });
    const top = table(reference, '## Top level');
    expect(top.find((r) => r.key === 'vendors')?.fallback).toBe('**required**');
  });

  it('documents a shape used twice once, and links every use to it', () => {
    const profile = table(reference, '### `checks[kind=http].profiles[]`');
    expect(profile.find((r) => r.key === 'expect')?.type).toBe('object, see [`checks[kind=http].expect`](#checkskindhttpexpect)');
    expect(reference).not.toContain('`checks[kind=http].profiles[].expect`');
  });

  it('links only to headings that exist', () => {
    const anchors = new Set(
      reference
        .split('\n')
        .filter((l) => /^#{2,3} /.test(l))
        .map((l) =>
          l
            .replace(/^#+ /, '')
            .toLowerCase()
            .replace(/[^\p{L}\p{N} _-]/gu, '')
            .replace(/ /g, '-'),
        ),
    );
    // GitHub numbers repeated anchors: the second `nameservers` heading is `...-1`.
    anchors.add('checkskinddnsnameservers-1');
    const links = [...reference.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1]);
    expect(links.filter((a) => !anchors.has(a!))).toEqual([]);
  });

  it('renders any schema: lists of one value or many, maps, unions and nested objects', () => {
    const schema = z.strictObject({
      every: duration.prefault('1m').describe('How often.'),
      codes: z
        .union([z.enum(['a', 'b']), z.array(z.enum(['a', 'b'])).min(1)])
        .optional()
        .describe('Codes.'),
      labels: z.record(z.string(), duration).prefault({}).describe('Per label.'),
      target: z.strictObject({ host: z.string().describe('Host.') }).describe('Where to.'),
      switch: z.union([z.literal(false), z.strictObject({ size: z.number().int().min(1).describe('Size.') })]).describe('Off, or options.'),
    });
    const markdown = configReference(z.toJSONSchema(schema, { io: 'input' }));
    expect(table(markdown, '## Top level')).toEqual([
      { key: 'every', type: 'duration', fallback: '`1m`', meaning: 'How often.' },
      { key: 'codes', type: '`a` \\| `b`, or a list of them', fallback: '—', meaning: 'Codes.' },
      { key: 'labels', type: 'map of string → duration', fallback: '`{}`', meaning: 'Per label.' },
      { key: 'target', type: 'object, see [`target`](#target)', fallback: '**required**', meaning: 'Where to.' },
      { key: 'switch', type: '`false` or object, see [`switch`](#switch)', fallback: '**required**', meaning: 'Off, or options.' },
    ]);
    expect(table(markdown, '## `target`')).toEqual([{ key: 'host', type: 'string', fallback: '**required**', meaning: 'Host.' }]);
    expect(table(markdown, '## `switch`')).toEqual([{ key: 'size', type: 'integer ≥ 1', fallback: '**required**', meaning: 'Size.' }]);
  });
});
