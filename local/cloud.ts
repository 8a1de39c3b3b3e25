import { SQSClient } from '@aws-sdk/client-sqs';
import { appendRecord } from '#shared/clients/call-recorder.ts';
import { type LocalFunctions, loadFunctions } from './functions.ts';
import { startHttpApi } from './http-api.ts';
import { type MotoServer, startMoto } from './moto.ts';
import { ensurePackaged } from './package.ts';
import { startSchedules } from './scheduler.ts';
import { startPoller } from './sqs-poller.ts';
import { type LocalStack, provisionStack } from './stack.ts';
import { adoptOrProvisionStack } from './stack-file.ts';
import { type CfnTemplate, readTemplate } from './template.ts';

export const LOCAL_ACCOUNT = '123456789012';

export interface LocalCloudOptions {
  readonly stage?: string;
  readonly region?: string;
  /** Use an emulator that is already running instead of starting one. */
  readonly endpoint?: string;
  readonly apiPort?: number;
  readonly retryDelaySeconds?: number;
  /** Start queue pollers, schedules and the HTTP API (off: resources only). */
  readonly triggers?: boolean;
  readonly onEvent?: (line: string) => void;
  /** Variables that override the template's function environment (e.g. a quieter log level). */
  readonly env?: Record<string, string>;
  /**
   * With `endpoint`: where the stack's physical ids are saved, so that a restart against the same
   * emulator picks up the stack (and the work queued in it) instead of creating a second one.
   */
  readonly stackFile?: string;
  /**
   * Batching windows, in seconds, by function logical id, in place of the stage's (the local stage
   * closes the archive window after 5 s; `npm run bench` measures at the deployed default).
   */
  readonly batchingWindowSeconds?: Readonly<Record<string, number>>;
}

export interface LocalCloud {
  readonly stage: string;
  readonly region: string;
  readonly endpoint: string;
  readonly apiUrl?: string;
  readonly outputs: Record<string, string>;
  readonly template: CfnTemplate;
  readonly stack: LocalStack;
  readonly functions: LocalFunctions;
  fireSchedule(name: string): Promise<unknown>;
  stop(): Promise<void>;
}

/** Points this process's SDK clients at the emulator, with the emulator's fixed test credentials. */
export function useEmulator(endpoint: string, region: string): void {
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
  });
  delete process.env.AWS_PROFILE;
  delete process.env.AWS_SESSION_TOKEN;
}

/** Every name, URL and ARN of the stack's resources, mapped to the resource's logical id. */
function physicalNames(stack: LocalStack): Record<string, string> {
  const names: Record<string, string> = {};
  for (const [id, p] of stack.physical) for (const v of [p.ref, ...Object.values(p.attrs)]) names[v] ??= id;
  return names;
}

/**
 * The whole pipeline on one machine: moto, the stack's resources created from the packaged
 * template, and every function wired to its trigger as the template declares it.
 */
export async function startLocalCloud(opts: LocalCloudOptions = {}): Promise<LocalCloud> {
  const stage = opts.stage ?? 'local';
  const region = opts.region ?? 'us-east-1';
  const say = opts.onEvent ?? (() => undefined);
  const template = readTemplate(await ensurePackaged(stage));
  const moto: MotoServer | undefined = opts.endpoint ? undefined : await startMoto();
  const endpoint = opts.endpoint ?? (moto as MotoServer).endpoint;
  useEmulator(endpoint, region);
  const stopped: (() => Promise<void> | void)[] = [];
  try {
    const pseudo = { accountId: LOCAL_ACCOUNT, region, stackName: `logvault-${stage}` };
    const stack =
      opts.endpoint && opts.stackFile
        ? await adoptOrProvisionStack(template, pseudo, endpoint, opts.stackFile)
        : await provisionStack(template, pseudo);
    const functions = await loadFunctions(template, stack);
    appendRecord({ kind: 'names', names: physicalNames(stack) });
    Object.assign(process.env, opts.env);
    const outputs: Record<string, string> = {};
    for (const [name, out] of Object.entries(template.Outputs ?? {})) {
      outputs[name] = String(await stack.resolve(out.Value));
    }
    let apiUrl: string | undefined;
    const schedules = startSchedules(opts.triggers === false ? [] : functions.schedules, {
      region,
      onRun: (t, error) =>
        say(`schedule ${t.ruleName} → ${t.fn.name}${error ? ` failed: ${String(error)}` : ''}`),
    });
    stopped.push(() => schedules.stop());
    if (opts.triggers !== false) {
      const sqs = new SQSClient({});
      for (const queue of functions.queues) {
        const window = opts.batchingWindowSeconds?.[queue.fn.logicalId];
        const trigger = window === undefined ? queue : { ...queue, batchingWindowSeconds: window };
        const poller = startPoller(sqs, trigger, {
          region,
          retryDelaySeconds: opts.retryDelaySeconds ?? 1,
          onBatch: ({ received, failed, error }) => {
            if (error && received === 0) say(`${trigger.fn.name}: poll failed: ${String(error)}`);
            else if (received)
              say(
                `${trigger.fn.name}: ${received} message(s), ${failed} failed${error ? ` (${String(error)})` : ''}`,
              );
          },
        });
        stopped.push(() => poller.stop());
      }
      const api = await startHttpApi(functions.routes, opts.apiPort ?? 0, functions.functions);
      apiUrl = api.url;
      stopped.push(() => api.stop());
    }
    return {
      stage,
      region,
      endpoint,
      ...(apiUrl ? { apiUrl } : {}),
      outputs,
      template,
      stack,
      functions,
      fireSchedule: (name) => schedules.fire(name),
      async stop() {
        for (const stop of stopped.reverse()) await stop();
        await moto?.stop();
      },
    };
  } catch (error) {
    for (const stop of stopped.reverse()) await stop();
    await moto?.stop();
    throw error;
  }
}
