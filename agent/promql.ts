/** What Prometheus reads from us: rule files' shape, and PromQL text pieces shared by the generated rules and dashboard. */

/** One Prometheus recording or alerting rule, as `vendorwatch rules` prints it. */
export interface Rule {
  record?: string;
  alert?: string;
  expr: string;
  for?: string;
  keep_firing_for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** A rule group, in the order Prometheus evaluates its rules. */
export interface RuleGroup {
  name: string;
  rules: Rule[];
}

/** `check=~"a|b\\.c"`: check names may contain dots, which a regex matcher must escape. */
export function checkMatcher(names: string[]): string {
  return nameMatcher('check', names);
}

/** `label=~"a|b"`, dots escaped. */
export function nameMatcher(label: string, names: string[]): string {
  return `${label}=~"${names.map((n) => n.replaceAll('.', '\\\\.')).join('|')}"`;
}

/** Milliseconds as a PromQL duration in the largest whole unit: 90000 → "90s", 3600000 → "1h". */
export function promDuration(ms: number): string {
  const units = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const;
  for (const [unit, size] of units) if (ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}
