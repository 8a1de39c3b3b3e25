import { isReservedSource, RESERVED_SOURCES } from '#shared/archive/layout.ts';
import { usageError } from './errors.ts';

const MAX_LENGTH = 128;
const ALLOWED = /^[A-Za-z0-9._-]$/;

/**
 * What is wrong with a source name, in words, or `undefined` when it is usable: 1-128 letters,
 * digits, '.', '_' or '-', starting with a letter or digit (so never `.`, `..` or an option-like
 * `-x`), and not a reserved source name. The source is the first segment of every ingest and
 * archive key.
 */
export function sourceNameProblem(name: string): string | undefined {
  if (name === '') return 'must not be empty';
  if (name === '.' || name === '..') return `cannot be "${name}": that names a directory, not a source`;
  const bad = [...new Set([...name].filter((c) => !ALLOWED.test(c)))];
  if (bad.length > 0) {
    return `may contain only letters, digits, '.', '_' and '-' (not ${bad.map((c) => JSON.stringify(c)).join(', ')})`;
  }
  if (!/^[A-Za-z0-9]/.test(name)) return `must start with a letter or digit, not ${JSON.stringify(name[0])}`;
  if (name.length > MAX_LENGTH) return `must be at most ${MAX_LENGTH} characters (it has ${name.length})`;
  if (isReservedSource(name))
    return `is reserved: ${RESERVED_SOURCES.join(', ')} are logvault's own prefixes, so the pipeline would refuse what is shipped under it`;
  return undefined;
}

/** Refuses an unusable source name as bad usage, naming the flag it came from. */
export function checkSourceName(name: string, flag = '--source'): string {
  const problem = sourceNameProblem(name);
  if (problem) throw usageError(`${flag} ${JSON.stringify(name)}: ${problem}`);
  return name;
}
