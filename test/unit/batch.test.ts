import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sqsBatch } from '#shared/batch.ts';
import { MalformedEventError, PoisonMessageError } from '#shared/errors.ts';
import { type CapturedOutput, captureOutput } from '../helpers/capture-logs.ts';
import { sqsEvent, sqsRecord } from '../helpers/events.ts';
import { lambdaContext } from '../helpers/lambda.ts';

let logs: CapturedOutput;
beforeEach(() => {
  logs = captureOutput();
});
afterEach(() => logs.stop());

// Each record waits the milliseconds its body names, then fails if the body says so.
const handler = sqsBatch(async (record) => {
  const [ms, verdict] = record.body.split(' ');
  await sleep(Number(ms));
  if (verdict === 'bad') throw new PoisonMessageError('bad record');
});
const failedIds = (res: { batchItemFailures: { itemIdentifier: string }[] }) =>
  res.batchItemFailures.map((f) => f.itemIdentifier).sort();

describe('sqsBatch', () => {
  it('keeps concurrent invocations apart: each reports only its own failures', async () => {
    const [a, b] = await Promise.all([
      handler(sqsEvent(sqsRecord('30 bad', 'a-1'), sqsRecord('5 ok', 'a-2')), lambdaContext()),
      handler(sqsEvent(sqsRecord('1 ok', 'b-1'), sqsRecord('20 bad', 'b-2')), lambdaContext()),
    ]);
    expect(failedIds(a)).toEqual(['a-1']);
    expect(failedIds(b)).toEqual(['b-2']);
  });

  it('reports every record of a batch that fails entirely, instead of throwing', async () => {
    const res = await handler(sqsEvent(sqsRecord('0 bad', 'x'), sqsRecord('0 bad', 'y')), lambdaContext());
    expect(failedIds(res)).toEqual(['x', 'y']);
  });

  it('counts failures by kind in one metric per kind', async () => {
    await handler(
      sqsEvent(...Array.from({ length: 50 }, (_, i) => sqsRecord('0 bad', `m-${i}`))),
      lambdaContext(),
    );
    const metrics = logs.records().filter((r) => '_aws' in r && 'Failures' in r);
    expect(metrics).toEqual([expect.objectContaining({ kind: 'PoisonMessageError', Failures: 50 })]);
  });

  it('refuses an event without Records as a whole', async () => {
    await expect(handler({ Records: { 0: sqsRecord('0 ok') } }, lambdaContext())).rejects.toBeInstanceOf(
      MalformedEventError,
    );
  });
});
