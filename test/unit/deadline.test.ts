import { describe, expect, it } from 'vitest';
import { deadlineSignal } from '#shared/deadline.ts';
import { DeadlineError } from '#shared/errors.ts';

const context = (remainingMs: number) => ({ getRemainingTimeInMillis: () => remainingMs });

describe('deadlineSignal', () => {
  it('aborts with a DeadlineError once only the margin is left', async () => {
    const { signal } = deadlineSignal(context(1_020), 1_000);
    expect(signal.aborted).toBe(false);
    await new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }));
    expect(signal.reason).toBeInstanceOf(DeadlineError);
  });

  it('is already due when less than the margin remains', async () => {
    const { signal } = deadlineSignal(context(500), 1_000);
    await new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }));
    expect(signal.reason).toBeInstanceOf(DeadlineError);
  });

  it('never aborts once cancelled, nor without a context', async () => {
    const cancelled = deadlineSignal(context(1_010), 1_000);
    cancelled.cancel();
    const none = deadlineSignal(undefined);
    await new Promise((r) => setTimeout(r, 50));
    expect(cancelled.signal.aborted).toBe(false);
    expect(none.signal.aborted).toBe(false);
  });
});
