import type { Command } from 'commander';
import { createSqs } from '#shared/clients/aws.ts';
import { redrive } from '#shared/redrive.ts';
import { CliError, printJson } from '../output.ts';
import { output, resolveTarget } from '../target.ts';

const QUEUES = ['ingest', 'archive'] as const;
const capital = (s: string) => s[0]?.toUpperCase() + s.slice(1);

export function registerRedrive(program: Command): void {
  program
    .command('redrive')
    .description('move messages from dead-letter queues back to their queues, once their cause is fixed')
    .argument('[queue]', `one of ${QUEUES.join(', ')} (default: all)`)
    .option('--json', 'machine-readable output')
    .action(async (queue: string | undefined, opts: { json?: boolean }) => {
      if (queue && !(QUEUES as readonly string[]).includes(queue))
        throw new CliError(`redrive: unknown queue ${queue}; one of ${QUEUES.join(', ')}`, 2);
      const target = await resolveTarget(program.opts());
      const sqs = createSqs();
      const moved: Record<string, number> = {};
      for (const q of queue ? [queue] : QUEUES) {
        const name = capital(q);
        const dlq = target.outputs[`${name}DeadLetterQueueUrl`];
        if (!dlq) continue;
        moved[q] = await redrive(sqs, dlq, output(target, `${name}QueueUrl`));
      }
      if (opts.json) printJson(moved);
      else
        for (const [q, n] of Object.entries(moved))
          process.stdout.write(`${q}: ${n} message(s) moved back\n`);
    });
}
