import { describe, expect, it } from 'vitest';
import { globMatches, globsIntersect } from '#shared/policy/glob.ts';

describe('globMatches', () => {
  it.each([
    ['i-*', 'i-0abc', true],
    ['i-*', 'i-', true],
    ['i-*', 'xi-0abc', false],
    ['i-*', 'I-0abc', false],
    ['*', '', true],
    ['*', 'a/b/c', true],
    ['log-?', 'log-1', true],
    ['log-?', 'log-12', false],
    ['log-?', 'log-', false],
    ['app.log*', 'app.log.1', true],
    ['app.log*', 'appxlog', false],
    ['a+b', 'a+b', true],
    ['a+b', 'aab', false],
    ['(x)[y]{z}|^$\\', '(x)[y]{z}|^$\\', true],
  ])('%j against %j is %s', (glob, text, expected) => {
    expect(globMatches(glob, text)).toBe(expected);
  });
});

describe('globsIntersect', () => {
  it.each([
    ['i-*', 'i-*', true],
    ['i-*', 'i-web*', true],
    ['*', 'anything', true],
    ['i-*', '*-web', true],
    ['*a', 'b*', true],
    ['a?c', 'abc', true],
    ['log-??', 'log-*-x', true],
    ['abc', 'abc', true],
    ['i-*', 'db-*', false],
    ['a?c', 'ac', false],
    ['log-?', 'log-*-x', false],
    ['abc', 'abd', false],
    ['*.gz', '*.zst', false],
  ])('%j and %j: %s', (a, b, expected) => {
    expect(globsIntersect(a, b)).toBe(expected);
    expect(globsIntersect(b, a)).toBe(expected);
  });
});
