import type { RecordedCall } from './calls.ts';
import type { StackModel } from './stack-model.ts';

/**
 * Calls made with a role that no test can record, read from the template and the code instead.
 * What Lambda itself does with each function's role (the local cloud's pollers and log capture
 * stand in for it): write the function's logs, poll its SQS event sources, and deliver failed
 * asynchronous invocations to its dead-letter queue. And what the CLI does first when run with
 * `--stage` as ArchiveRestoreRole (cli/target.ts): read the stack's outputs, which the tests never
 * need, since they run it against `logvault dev`.
 */
export function platformCalls(model: StackModel): RecordedCall[] {
  return [
    ...model.functions.flatMap((fn) => [
      { principal: fn.role, call: 'lambda:WriteLogs', resource: `/aws/lambda/${fn.name}` },
      ...fn.eventSources.map((queue) => ({ principal: fn.role, call: 'lambda:PollQueue', resource: queue })),
      ...(fn.deadLetterQueue
        ? [{ principal: fn.role, call: 'lambda:SendToDeadLetterQueue', resource: fn.deadLetterQueue }]
        : []),
    ]),
    { principal: 'ArchiveRestoreRole', call: 'cloudformation:DescribeStacks', resource: model.stackName },
  ];
}
