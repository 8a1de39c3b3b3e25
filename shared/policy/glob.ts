/** Whether a glob matched, and how many steps the matcher took to decide (its cost, for tests). */
export interface GlobMatch {
  readonly matched: boolean;
  readonly steps: number;
}

/**
 * {@link globMatches}, also counting its steps. Two pointers walk the glob and the text; on a
 * mismatch only the most recent `*` is retried, one character further on. That is enough (a later
 * star can absorb whatever an earlier one would have), and it keeps the work within a constant
 * times (glob length + 1) × (text length + 1) steps for any input, where a backtracking regular
 * expression takes exponential time on globs such as `*a*a*a*a*b`.
 */
export function globMatchSteps(glob: string, text: string): GlobMatch {
  // Code points, not UTF-16 units: `?` is one character even outside the Basic Multilingual Plane.
  const p = [...glob];
  const t = [...text];
  let i = 0;
  let j = 0;
  let star = -1;
  let resume = 0;
  let steps = 0;
  while (j < t.length) {
    steps++;
    const pc = p[i];
    if (pc === '*') {
      star = i++;
      resume = j;
    } else if (pc !== undefined && (pc === '?' || pc === t[j])) {
      i++;
      j++;
    } else if (star >= 0) {
      i = star + 1;
      j = ++resume;
    } else return { matched: false, steps };
  }
  while (p[i] === '*') {
    steps++;
    i++;
  }
  return { matched: i === p.length, steps };
}

/**
 * True when `text` matches the whole of `glob`, where `*` is any run of characters (including
 * none, and including `/`) and `?` is exactly one character. Everything else is literal and
 * case-sensitive, as S3 keys are. Linear in the product of the two lengths, whatever they hold.
 */
export function globMatches(glob: string, text: string): boolean {
  return globMatchSteps(glob, text).matched;
}

/**
 * True when some string matches both globs. Exact, not a heuristic: it walks both patterns in
 * step (a product of their automata), so `i-*` and `*-web` intersect (`i-web`) while `i-*` and
 * `db-*` do not. Each pair of positions is visited once, so the cost is bounded by the product of
 * the two lengths.
 */
export function globsIntersect(a: string, b: string): boolean {
  const p = [...a];
  const q = [...b];
  const seen = new Set<number>();
  const key = (i: number, j: number) => i * (q.length + 1) + j;
  const stack: [number, number][] = [[0, 0]];
  while (stack.length > 0) {
    const [i, j] = stack.pop() as [number, number];
    if (seen.has(key(i, j))) continue;
    seen.add(key(i, j));
    if (i === p.length && j === q.length) return true;
    const pc = p[i];
    const qc = q[j];
    // A star may stop matching without consuming anything.
    if (pc === '*') stack.push([i + 1, j]);
    if (qc === '*') stack.push([i, j + 1]);
    // Both consume one common character: possible unless they are two different literals.
    if (pc !== undefined && qc !== undefined) {
      const wild = (c: string) => c === '*' || c === '?';
      if (wild(pc) || wild(qc) || pc === qc) {
        stack.push([pc === '*' ? i : i + 1, qc === '*' ? j : j + 1]);
      }
    }
  }
  return false;
}
