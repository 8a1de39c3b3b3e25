import { DeadlineError } from './errors.ts';

/**
 * Time kept back from Lambda's own timeout. A timed-out Lambda is frozen mid-call, leaving
 * uploads open and the record's fate to the visibility timeout; stopping this early leaves
 * room to abort an upload (in-flight parts finish first) and report the record as failed.
 */
export const DEADLINE_MARGIN_MS = 10_000;

/**
 * A signal that aborts `marginMs` before the invocation's deadline, with a DeadlineError as its
 * reason. `cancel` clears the timer once the work is done. Without a context there is no deadline.
 */
export function deadlineSignal(
  context: { getRemainingTimeInMillis(): number } | undefined,
  marginMs = DEADLINE_MARGIN_MS,
): { signal: AbortSignal; cancel(): void } {
  const controller = new AbortController();
  if (typeof context?.getRemainingTimeInMillis !== 'function') {
    return { signal: controller.signal, cancel: () => undefined };
  }
  const remaining = context.getRemainingTimeInMillis();
  const timer = setTimeout(
    () => controller.abort(new DeadlineError(`stopped ${marginMs} ms before the invocation's deadline`)),
    Math.max(0, remaining - marginMs),
  );
  timer.unref();
  return { signal: controller.signal, cancel: () => clearTimeout(timer) };
}
