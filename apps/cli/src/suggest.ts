/**
 * "Did you mean" for mistyped commands and flags. Only a suggestion is ever made: hesap
 * never runs a command it guessed (a guessed `db push --yes` would change a database).
 */

/** Edits between two words, a swap of neighbours counting as one (optimal string alignment). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/** How many edits a typed word of this length may be from what was meant. */
function tolerance(typed: string): number {
  return Math.max(1, Math.min(3, Math.floor(typed.length / 3)));
}

/**
 * The candidates closest to what was typed, nearest first (at most three), or none when
 * nothing is close. A candidate may be reached by any of its spellings (`db push` also by
 * `push`); a unique candidate that starts with what was typed counts too.
 */
export function closest<T>(typed: string, candidates: ReadonlyArray<{ value: T; spellings: readonly string[] }>): T[] {
  const scored = candidates
    .map((c) => ({ value: c.value, distance: Math.min(...c.spellings.map((s) => editDistance(typed, s))) }))
    .filter((c) => c.distance <= tolerance(typed))
    .sort((x, y) => x.distance - y.distance);
  if (scored.length > 0) return scored.filter((c) => c.distance === scored[0]!.distance).slice(0, 3).map((c) => c.value);
  const prefixed = candidates.filter((c) => typed.length >= 2 && c.spellings.some((s) => s.startsWith(typed)));
  return prefixed.length === 1 ? [prefixed[0]!.value] : [];
}

/**
 * The commands a mistyped command line may have meant. `words` is what was typed before
 * the first flag (`['db', 'pussh']`); each command id is in oclif's form (`db:push`).
 */
export function suggestCommands(words: readonly string[], commandIds: readonly string[]): string[] {
  const candidates = commandIds.map((id) => {
    const parts = id.split(':');
    return { value: parts.join(' '), spellings: parts.map((_, i) => parts.slice(i).join(' ')) };
  });
  // The longest run of typed words that is close to a command: `dbb push extra` → `db push`.
  for (let n = Math.min(words.length, 3); n >= 1; n--) {
    const found = closest(words.slice(0, n).join(' '), candidates);
    if (found.length > 0) return found;
  }
  return [];
}
