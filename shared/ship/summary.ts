import type { ShipResult } from './run.ts';

/** One line saying what a run did, for people reading the shipper's log. */
export function describeRun(r: ShipResult, where: string): string {
  const seen = `${r.files} file(s) looked at${r.firstContact ? ' (first contact)' : ''}`;
  const held = r.heldBack > 0 ? `, ${r.heldBack} byte(s) held back for a later run` : '';
  if (!r.batch) return `nothing new to send; ${seen}${held}`;
  const what = `${r.batch.segments} segment(s), ${r.batch.logBytes} byte(s) of log, ${r.batch.gaps} gap(s)`;
  const again = r.resent ? 'sent again the batch an earlier run could not confirm' : 'sent';
  return `${again} ${where}${r.batch.key}: ${what}; ${seen}${held}`;
}
