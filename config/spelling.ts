/** Edits (insert, delete, substitute) that turn a into b. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * The known word a misspelt one most likely meant: at most 2 edits away, or one a prefix of the
 * other (`timeout_ms` for `timeout`); undefined when none is that close, so a suggestion is never a guess.
 */
function closestWord(word: string, known: readonly string[]): string | undefined {
  let best: { word: string; distance: number } | undefined;
  for (const candidate of known) {
    if (candidate === word) continue;
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    const shorter = word.length < candidate.length ? word : candidate;
    const prefixed = shorter.length >= 3 && (candidate.startsWith(word) || word.startsWith(candidate));
    if ((distance <= 2 || prefixed) && (!best || distance < best.distance)) best = { word: candidate, distance };
  }
  return best?.word;
}

/** `(did you mean "interval"?)`, or '' when no known word is close. */
export function didYouMean(word: string, known: readonly string[]): string {
  const match = closestWord(word, known);
  return match === undefined ? '' : `(did you mean "${match}"?)`;
}
