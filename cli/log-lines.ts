import type { GonePack } from '#shared/archive/member-ledger.ts';
import type { MissingBatch } from '#shared/logs/generations.ts';
import { forTerminal } from './terminal-text.ts';

/** The line that names a batch a later batch names as its previous one, which no archive holds. */
export function missingBatchLine(m: MissingBatch): string {
  const namedBy = m.namedBy.map(forTerminal).join(', ');
  return `${forTerminal(m.source)}: batch ${forTerminal(m.batch)} is in no archive (named as previous by ${namedBy})`;
}

/** The line that names a pack the ledger records logs in, which S3 no longer has before its expiry. */
export function gonePackLine(g: GonePack): string {
  return `${forTerminal(g.source)}: pack ${forTerminal(g.archive)} is gone (the ledger says it holds logs shipped from ${forTerminal(g.time)} on; it was deleted before its expiry)`;
}
