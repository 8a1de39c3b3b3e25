import { describe, expect, it } from 'vitest';
import { deadlineBudget, deadlineSignal } from '#shared/deadline.ts';
import { DeadlineError } from '#shared/errors.ts';

const context = (remainingMs: number) => ({ getRemainingTimeInMillis: () => remainingMs });

describe('deadlineBudget', () => {
  it('keeps the margin back from a long invocation', () => {
    expect(deadlineBudget(900_000, 10_000)).toBe(890_000);
  });

  it('gives half of a short remaining time, never nothing', () => {
    expect(deadlineBudget(6_000, 10_000)).toBe(3_000);
    expect(deadlineBudget(0, 10_000)).toBe(0);
  });
});

describe('deadlineSignal', () => {
  it('aborts with a DeadlineError once the budget is spent', async () => {
    const { signal } = deadlineSignal(context(60), 1_000);
    expect(signal.aborted).toBe(false);
    await new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }));
    expect(signal.reason).toBeInstanceOf(DeadlineError);
  });

  it('never aborts once cancelled, nor without a context', async () => {
    const cancelled = deadlineSignal(context(60), 1_000);
    cancelled.cancel();
    const none = deadlineSignal(undefined);
    await new Promise((r) => setTimeout(r, 100));
    expect(cancelled.signal.aborted).toBe(false);
    expect(none.signal.aborted).toBe(false);
  });
});
