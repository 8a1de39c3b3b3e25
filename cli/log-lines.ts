import type { MissingBatch } from '#shared/logs/generations.ts';
import { forTerminal } from './terminal-text.ts';

/** The line that names a batch a later batch names as its previous one, which no archive holds. */
export function missingBatchLine(m: MissingBatch): string {
  const namedBy = m.namedBy.map(forTerminal).join(', ');
  return `${forTerminal(m.source)}: batch ${forTerminal(m.batch)} is in no archive (named as previous by ${namedBy})`;
}
