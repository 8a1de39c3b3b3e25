import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import {
  fromMessageAttributes,
  noteFor,
  packBatches,
  sendToDeadLetterQueue,
  toMessageAttributes,
} from '#shared/dead-letter.ts';
import { DeadlineError, PoisonMessageError, RefusedMessageError } from '#shared/errors.ts';
import { sqsRecord } from '../helpers/events.ts';

describe('the note on a dead-lettered copy', () => {
  it('round-trips through message attributes', () => {
    for (const note of [
      {
        reason: 'policy-mismatch',
        error: 'archive job names another policy',
        messageId: 'm-1',
        receiveCount: 1,
      },
      { reason: 'malformed', error: 'archive job is not JSON', messageId: 'm-2' },
    ])
      expect(fromMessageAttributes(toMessageAttributes(note))).toEqual(note);
  });

  it('is absent on a message SQS itself moved after its receives ran out', () => {
    expect(fromMessageAttributes(undefined)).toBeUndefined();
    expect(fromMessageAttributes({ other: { DataType: 'String', StringValue: 'x' } })).toBeUndefined();
  });

  it('names a refusal by its reason, anything else poison as malformed, and the receives so far', () => {
    const record = sqsRecord('{}', 'm-1');
    expect(record.attributes.ApproximateReceiveCount).toBe('1');
    expect(noteFor(record, new RefusedMessageError('archive-bucket', 'names the archive bucket'))).toEqual({
      reason: 'archive-bucket',
      error: 'names the archive bucket',
      messageId: 'm-1',
      receiveCount: 1,
    });
    expect(noteFor(record, new PoisonMessageError('not JSON')).reason).toBe('malformed');
  });

  it('keeps an error message short', () => {
    const note = noteFor(sqsRecord('{}'), new PoisonMessageError('x'.repeat(5000)));
    expect(note.error).toHaveLength(1000);
  });
});

describe('packBatches', () => {
  const one = () => 1;
  it('makes batches of at most ten entries', () => {
    expect(
      packBatches(
        Array.from({ length: 25 }, (_, i) => i),
        one,
      ).map((b) => b.length),
    ).toEqual([10, 10, 5]);
  });

  it('keeps each batch under the byte limit, and sends an oversized entry alone', () => {
    const sizes = [100, 100, 900, 50, 2000, 10];
    expect(packBatches(sizes, (n) => n, 10, 1000)).toEqual([[100, 100], [900, 50], [2000], [10]]);
  });

  it('makes no batch of nothing', () => {
    expect(packBatches([], one)).toEqual([]);
  });
});

describe('sendToDeadLetterQueue', () => {
  it('starts no request once the deadline has passed, and leaves those records unsent', async () => {
    const sqs = new SQSClient({
      region: 'us-east-1',
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    });
    const mock = mockClient(sqs);
    const deadline = new AbortController();
    let calls = 0;
    let startedAfterDeadline = 0;
    // The deadline passes while the fifth request is being answered.
    mock.on(SendMessageBatchCommand).callsFake((input: { Entries: { Id: string }[] }) => {
      calls += 1;
      if (deadline.signal.aborted) startedAfterDeadline += 1;
      if (calls === 5) deadline.abort(new DeadlineError('near the deadline'));
      return { Successful: input.Entries.map((e) => ({ Id: e.Id, MessageId: 'x', MD5OfMessageBody: 'x' })) };
    });
    const letters = Array.from({ length: 120 }, (_, i) => ({
      record: sqsRecord('garbage', `m-${i}`),
      error: new PoisonMessageError('not JSON'),
    }));
    const { sent, errors } = await sendToDeadLetterQueue(sqs, 'https://q/dlq', letters, deadline.signal);
    expect(startedAfterDeadline).toBe(0);
    expect(calls).toBeGreaterThanOrEqual(5);
    expect(calls).toBeLessThan(12);
    expect(sent.size).toBe(calls * 10);
    expect(errors).toHaveLength(12 - calls);
    for (const e of errors) expect(e).toBeInstanceOf(DeadlineError);
  });
});
