import { DeadlineError } from './errors.ts';

/**
 * Time kept back from Lambda's own timeout. A timed-out Lambda is frozen mid-call, leaving
 * uploads open and the record's fate to the visibility timeout; stopping this early leaves
 * room to abort an upload (in-flight parts finish first) and report the record as failed.
 */
export const DEADLINE_MARGIN_MS = 10_000;

/**
 * How long work may run: all but the margin, or half the time left when that is short (a function
 * whose whole timeout is under two margins still gets to start its work).
 */
export function deadlineBudget(remainingMs: number, marginMs = DEADLINE_MARGIN_MS): number {
  return remainingMs > 2 * marginMs ? remainingMs - marginMs : Math.max(0, remainingMs / 2);
}

/**
 * A signal that aborts once the budget is spent, with a DeadlineError as its reason. `cancel`
 * clears the timer once the work is done. Without a context there is no deadline.
 */
export function deadlineSignal(
  context: { getRemainingTimeInMillis(): number } | undefined,
  marginMs = DEADLINE_MARGIN_MS,
): { signal: AbortSignal; cancel(): void } {
  const controller = new AbortController();
  if (typeof context?.getRemainingTimeInMillis !== 'function') {
    return { signal: controller.signal, cancel: () => undefined };
  }
  const budget = deadlineBudget(context.getRemainingTimeInMillis(), marginMs);
  const timer = setTimeout(
    () => controller.abort(new DeadlineError(`stopped after ${Math.round(budget)} ms, before the deadline`)),
    budget,
  );
  timer.unref();
  return { signal: controller.signal, cancel: () => clearTimeout(timer) };
}
