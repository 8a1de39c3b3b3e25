import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { globMatches, globMatchSteps, globsIntersect } from '#shared/policy/glob.ts';

/**
 * The definition of a glob match, written for clarity rather than speed (it is exponential on
 * star-heavy globs, so it only ever sees short ones).
 */
function referenceMatches(glob: readonly string[], text: readonly string[]): boolean {
  const [g, ...restGlob] = glob;
  if (g === undefined) return text.length === 0;
  if (g === '*')
    return referenceMatches(restGlob, text) || (text.length > 0 && referenceMatches(glob, text.slice(1)));
  return text.length > 0 && (g === '?' || g === text[0]) && referenceMatches(restGlob, text.slice(1));
}
const reference = (glob: string, text: string) => referenceMatches([...glob], [...text]);

/**
 * The matcher's proven cost: every star is passed once, every retry moves the last star's resume
 * point one character on (so at most |text| retries), and between retries at most |glob| characters
 * match. That totals at most (|glob| + 1)(|text| + 1) + 2|glob| steps, within 3 × (|glob| + 1)(|text| + 1).
 */
const STEP_FACTOR = 3;
const bound = (glob: string, text: string) => STEP_FACTOR * ([...glob].length + 1) * ([...text].length + 1);

// A small alphabet makes matches, near misses and overlaps common; a supplementary-plane letter
// checks that `?` takes one code point.
const globUnit = fc.constantFrom('a', 'b', '*', '?', '😀');
const textUnit = fc.constantFrom('a', 'b', '😀');
const smallGlob = fc.string({ unit: globUnit, maxLength: 8 });
const smallText = fc.string({ unit: textUnit, maxLength: 10 });

/** Globs that defeat backtracking matchers: many stars between letters the text nearly has. */
const adversarialGlob = fc
  .tuple(
    fc.integer({ min: 1, max: 40 }),
    fc.constantFrom('a', '?', 'ab'),
    fc.constantFrom('b', 'c', '', '?b'),
  )
  .map(([stars, between, end]) => `${`*${between}`.repeat(stars)}*${end}`);
const adversarialText = fc
  .tuple(fc.integer({ min: 0, max: 400 }), fc.constantFrom('', 'c', 'a', 'ba'))
  .map(([n, tail]) => `${'a'.repeat(n)}${tail}`);

describe('glob matching (property)', () => {
  it('agrees with the reference definition on random globs and texts', () => {
    fc.assert(
      fc.property(smallGlob, smallText, (glob, text) => {
        expect(globMatches(glob, text)).toBe(reference(glob, text));
      }),
      { numRuns: 2000 },
    );
  });

  it('agrees with the reference definition on texts built to match the glob', () => {
    // Replace each star by a random run and each ? by a random letter: the result must match.
    const matching = smallGlob.chain((glob) =>
      fc
        .tuple(...[...glob].map((c) => (c === '*' ? smallText : c === '?' ? textUnit : fc.constant(c))))
        .map((parts) => ({ glob, text: parts.join('') })),
    );
    fc.assert(
      fc.property(matching, ({ glob, text }) => {
        expect(globMatches(glob, text)).toBe(true);
        expect(reference(glob, text)).toBe(true);
      }),
    );
  });

  it('decides adversarial star-heavy globs within c × (|glob| + 1) × (|text| + 1) steps', () => {
    fc.assert(
      fc.property(adversarialGlob, adversarialText, (glob, text) => {
        const { steps } = globMatchSteps(glob, text);
        expect(steps).toBeLessThanOrEqual(bound(glob, text));
      }),
      { numRuns: 300 },
    );
  });

  it('decides any glob and text within c × (|glob| + 1) × (|text| + 1) steps', () => {
    const anyGlob = fc.string({
      unit: fc.oneof(globUnit, fc.string({ minLength: 1, maxLength: 1 })),
      maxLength: 40,
    });
    const anyText = fc.string({
      unit: fc.oneof(textUnit, fc.string({ minLength: 1, maxLength: 1 })),
      maxLength: 200,
    });
    fc.assert(
      fc.property(anyGlob, anyText, (glob, text) => {
        expect(globMatchSteps(glob, text).steps).toBeLessThanOrEqual(bound(glob, text));
      }),
      { numRuns: 1000 },
    );
  });

  it('decides the reported 40-character source against a 17-star glob in a bounded number of steps', () => {
    const glob = `${'*a'.repeat(16)}*b`;
    const source = 'a'.repeat(40);
    const { matched, steps } = globMatchSteps(glob, source);
    expect(matched).toBe(false);
    expect(steps).toBeLessThanOrEqual(bound(glob, source));
  });
});

describe('glob intersection (property)', () => {
  /** Every string over the alphabet of at most `maxLength` characters, shortest first. */
  function* strings(alphabet: readonly string[], maxLength: number): Generator<string> {
    let level = [''];
    for (let n = 0; n <= maxLength; n++) {
      yield* level;
      if (n < maxLength) level = level.flatMap((s) => alphabet.map((c) => s + c));
    }
  }
  const letters = (glob: string) => [...glob].filter((c) => c !== '*').length;
  const tinyGlob = fc.string({ unit: fc.constantFrom('a', 'b', '*', '?'), maxLength: 4 });

  it('says two globs intersect exactly when some string matches both', () => {
    fc.assert(
      fc.property(tinyGlob, tinyGlob, (a, b) => {
        // Each character of a shortest common match moves past a letter or `?` of at least one glob,
        // so it is no longer than those together; a letter outside both globs stands for all others.
        const alphabet = ['a', 'b', 'c'];
        let witness = false;
        for (const s of strings(alphabet, letters(a) + letters(b)))
          if (reference(a, s) && reference(b, s)) {
            witness = true;
            break;
          }
        expect(globsIntersect(a, b)).toBe(witness);
        expect(globsIntersect(b, a)).toBe(witness);
      }),
      { numRuns: 500 },
    );
  });
});
