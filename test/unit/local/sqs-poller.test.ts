import { describe, expect, it } from 'vitest';
import type { QueueTrigger } from '#local/functions.ts';
import { failedMessageIds } from '#local/sqs-poller.ts';
import { sqsEvent, sqsRecord } from '../../helpers/events.ts';

const trigger = (report: boolean) => ({ reportBatchItemFailures: report }) as QueueTrigger;
const event = sqsEvent(sqsRecord('a', 'm1'), sqsRecord('b', 'm2'), sqsRecord('c', 'm3'));

describe('failedMessageIds (Lambda partial batch semantics)', () => {
  it('retries only the listed messages', () => {
    expect(failedMessageIds(trigger(true), event, { batchItemFailures: [{ itemIdentifier: 'm2' }] })).toEqual(
      new Set(['m2']),
    );
  });

  it('treats an empty list or no result as full success', () => {
    expect(failedMessageIds(trigger(true), event, { batchItemFailures: [] }).size).toBe(0);
    expect(failedMessageIds(trigger(true), event, undefined).size).toBe(0);
  });

  it('fails the whole batch when the response names an unknown or empty id', () => {
    expect(
      failedMessageIds(trigger(true), event, { batchItemFailures: [{ itemIdentifier: 'nope' }] }).size,
    ).toBe(3);
    expect(failedMessageIds(trigger(true), event, { batchItemFailures: [{ itemIdentifier: '' }] }).size).toBe(
      3,
    );
  });

  it('ignores the response when the mapping does not report batch item failures', () => {
    expect(
      failedMessageIds(trigger(false), event, { batchItemFailures: [{ itemIdentifier: 'm1' }] }).size,
    ).toBe(0);
  });
});
