import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { activeResources, type LocalStack, provisionStack } from './stack.ts';
import { stackExistsIn } from './stack-lookup.ts';
import { type CfnTemplate, makeResolver, type Physical, type Pseudo } from './template.ts';

interface SavedStack {
  readonly endpoint: string;
  readonly stackName: string;
  readonly physical: [string, Physical][];
}

/** True while the saved stack's queues still exist in the emulator (it may have been reset). */
async function stillThere(saved: SavedStack, template: CfnTemplate): Promise<boolean> {
  const queue = saved.physical.find(([id]) => template.Resources[id]?.Type === 'AWS::SQS::Queue');
  if (!queue) return false;
  try {
    await new SQSClient({}).send(new GetQueueAttributesCommand({ QueueUrl: queue[1].ref }));
    return true;
  } catch {
    return false;
  }
}

/**
 * Creates the stack, or adopts the one a previous run created in the same running emulator.
 * A restarted `logvault dev` must find the queues, keys and buckets that hold its pending work:
 * a second KMS key would leave the first run's archives unreadable to the new one. When the file
 * is gone (or names another emulator) but the stack is there, it is found by its names and tags.
 */
export async function adoptOrProvisionStack(
  template: CfnTemplate,
  pseudo: Pseudo,
  endpoint: string,
  file: string,
): Promise<LocalStack> {
  if (existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as SavedStack;
    if (
      saved.endpoint === endpoint &&
      saved.stackName === pseudo.stackName &&
      (await stillThere(saved, template))
    ) {
      const physical = new Map(saved.physical);
      const resolve = makeResolver(
        pseudo,
        async (id) => {
          const p = physical.get(id);
          if (!p) throw new Error(`local stack: ${id} is not in ${file}`);
          return p;
        },
        template,
      );
      return { physical, active: await activeResources(template, resolve), resolve };
    }
  }
  const adopt = await stackExistsIn(new SQSClient({}), pseudo.stackName);
  const stack = await provisionStack(template, pseudo, { adopt });
  const saved: SavedStack = { endpoint, stackName: pseudo.stackName, physical: [...stack.physical] };
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(saved, null, 2)}\n`);
  return stack;
}
