import { usageError } from './errors.ts';

/** A whole number of at least `min` from a flag, or a usage error naming the flag. */
export function wholeNumber(value: string, flag: string, min: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min)
    throw usageError(`${flag} ${JSON.stringify(value)}: must be a whole number of at least ${min}`);
  return n;
}
