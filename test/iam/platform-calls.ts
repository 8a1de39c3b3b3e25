import type { RecordedCall } from './calls.ts';
import type { StackModel } from './stack-model.ts';

/**
 * What Lambda itself does with each function's role, read from the template rather than recorded
 * (the local cloud's pollers and log capture stand in for it): write the function's logs, poll
 * its SQS event sources, and deliver failed asynchronous invocations to its dead-letter queue.
 */
export function platformCalls(model: StackModel): RecordedCall[] {
  return model.functions.flatMap((fn) => [
    { principal: fn.role, call: 'lambda:WriteLogs', resource: `/aws/lambda/${fn.name}` },
    ...fn.eventSources.map((queue) => ({ principal: fn.role, call: 'lambda:PollQueue', resource: queue })),
    ...(fn.deadLetterQueue
      ? [{ principal: fn.role, call: 'lambda:SendToDeadLetterQueue', resource: fn.deadLetterQueue }]
      : []),
  ]);
}
