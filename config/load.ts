import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { DEFAULT_CONFIG } from './defaultConfig.ts';
import { configJsonSchema } from './jsonSchema.ts';
import { configSchema, type Config } from './schema.ts';
import { didYouMean } from './spelling.ts';

export interface ConfigProblem {
  file: string;
  line: number;
  column: number;
  path: string;
  message: string;
}

/** A config that could not be read; every problem names file, line, column and config path. */
export class ConfigError extends Error {
  constructor(readonly problems: ConfigProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'ConfigError';
  }
}

function formatProblem(p: ConfigProblem): string {
  return `${p.file}:${p.line}:${p.column}: ${p.path ? `${p.path}: ` : ''}${p.message}`;
}

/** `checks[2].interval` */
function formatPath(path: readonly PropertyKey[]): string {
  return path.map((k, i) => (typeof k === 'number' ? `[${k}]` : `${i ? '.' : ''}${String(k)}`)).join('');
}

export function loadConfig(file: string = DEFAULT_CONFIG, env: NodeJS.ProcessEnv = process.env): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError([{ file, line: 0, column: 0, path: '', message: `cannot read config: ${(err as Error).message}` }]);
  }
  return parseConfig(text, file, env);
}

export function parseConfig(text: string, file: string, env: NodeJS.ProcessEnv = process.env): Config {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number) => lineCounter.linePos(offset);

  if (doc.errors.length) {
    throw new ConfigError(
      doc.errors.map((e) => {
        const { line, col } = at(e.pos[0]);
        return { file, line, column: col, path: '', message: e.message.split('\n')[0] ?? e.message };
      }),
    );
  }

  const problems: ConfigProblem[] = [];
  const locate = (path: readonly PropertyKey[], message: string): ConfigProblem => {
    const { line, col } = at(offsetOf(doc, path));
    return { file, line, column: col, path: formatPath(path), message };
  };

  const raw = interpolate(doc.toJS() ?? {}, [], env, (path, message) => problems.push(locate(path, message)));
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) problems.push(...parsed.error.issues.flatMap((issue) => describeIssue(issue, raw, locate)));
  if (problems.length || !parsed.success) throw new ConfigError(problems);

  const dir = dirname(resolve(file));
  for (const check of parsed.data.checks) if (check.kind === 'browser') check.script = resolve(dir, check.script);
  for (const check of parsed.data.checks) if (check.kind === 'http' && check.tls.ca_file) check.tls.ca_file = resolve(dir, check.tls.ca_file);
  for (const target of parsed.data.probe.remote_write) {
    if (target.bearer_token_file) target.bearer_token_file = resolve(dir, target.bearer_token_file);
    if (target.basic_auth) target.basic_auth.password_file = resolve(dir, target.basic_auth.password_file);
  }
  return parsed.data;
}

function describeIssue(issue: z.core.$ZodIssue, raw: unknown, locate: (p: readonly PropertyKey[], m: string) => ConfigProblem): ConfigProblem[] {
  if (issue.code === 'unrecognized_keys') {
    const known = knownKeys(configJsonSchema(), issue.path, raw);
    return issue.keys.map((key) => locate([...issue.path, key], `unknown key ${didYouMean(key, known) || '(check the spelling; see `vendorwatch schema`)'}`));
  }
  const missing = issue.path.reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined), raw) === undefined;
  if (missing && issue.code !== 'custom') return [locate(issue.path, 'required')];
  return [locate(issue.path, issue.message.replace(/^Invalid input: /, ''))];
}

type JsonSchema = {
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  allOf?: JsonSchema[];
  const?: unknown;
};

/**
 * The keys the config's JSON Schema allows at a path. Of a union (a check's keys depend on its
 * `kind`), the alternatives whose constants the raw value matches, else all of them.
 */
function knownKeys(schema: JsonSchema, path: readonly PropertyKey[], raw: unknown): string[] {
  const alternatives = (s: JsonSchema): JsonSchema[] => {
    const nested = [...(s.oneOf ?? []), ...(s.anyOf ?? []), ...(s.allOf ?? [])];
    return nested.length ? nested.flatMap(alternatives) : [s];
  };
  let here = [schema];
  let value = raw;
  for (const key of path) {
    here = here.flatMap(alternatives).flatMap((s) => {
      const next = typeof key === 'number' ? s.items : s.properties?.[String(key)];
      return next ? [next] : [];
    });
    value = value && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[key] : undefined;
  }
  const objects = here.flatMap(alternatives).filter((s) => s.properties);
  const matches = (s: JsonSchema) =>
    Object.entries(s.properties!).every(([k, p]) => p.const === undefined || (value as Record<string, unknown> | undefined)?.[k] === p.const);
  const chosen = objects.filter(matches);
  return [...new Set((chosen.length ? chosen : objects).flatMap((s) => Object.keys(s.properties!)))];
}

/** Offset of the deepest YAML node that exists along a config path. */
function offsetOf(doc: Document, path: readonly PropertyKey[]): number {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n) as unknown[], true) as { range?: [number, number, number] } | undefined;
    if (node && typeof node === 'object' && node.range) return node.range[0];
  }
  return 0;
}

const VAR = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** Replaces `${NAME}` and `${NAME:-default}` in every string value; `$$` is a literal `$`. */
function interpolate(value: unknown, path: PropertyKey[], env: NodeJS.ProcessEnv, fail: (path: PropertyKey[], message: string) => void): unknown {
  if (typeof value === 'string') {
    return value.replace(VAR, (whole, name: string | undefined, fallback: string | undefined) => {
      if (!name) return '$';
      const v = env[name];
      if (v !== undefined && v !== '') return v;
      if (fallback !== undefined) return fallback;
      fail(path, `environment variable ${name} is not set (write \${${name}:-default} for a default)`);
      return whole;
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, [...path, i], env, fail));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, [...path, k], env, fail)]));
  }
  return value;
}
