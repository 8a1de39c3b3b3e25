// Compiled once per pattern: policies are fixed for the life of a Lambda container.
const compiled = new Map<string, RegExp>();

/**
 * True when `text` matches the whole of `glob`, where `*` is any run of characters (including
 * none, and including `/`) and `?` is exactly one character. Everything else is literal and
 * case-sensitive, as S3 keys are.
 */
export function globMatches(glob: string, text: string): boolean {
  let re = compiled.get(glob);
  if (!re) {
    const body = [...glob]
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')))
      .join('');
    re = new RegExp(`^${body}$`, 'su');
    compiled.set(glob, re);
  }
  return re.test(text);
}

/**
 * True when some string matches both globs. Exact, not a heuristic: it walks both patterns in
 * step (a product of their automata), so `i-*` and `*-web` intersect (`i-web`) while `i-*` and
 * `db-*` do not.
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
