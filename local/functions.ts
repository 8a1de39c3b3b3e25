import { randomUUID } from 'node:crypto';
import { resolve as resolvePath } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import { asPrincipal } from '#shared/clients/call-recorder.ts';
import type { LocalStack } from './stack.ts';
import type { CfnTemplate } from './template.ts';

/** A Lambda function of the template, runnable in this process. */
export interface LocalFunction {
  readonly logicalId: string;
  readonly name: string;
  /** Logical id of the role it runs as: the AWS calls its handler makes are that role's. */
  readonly role: string;
  readonly handler: string;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  readonly environment: Record<string, string>;
  /** Runs the handler; `timeoutMs` stands in for the function's own timeout (a near deadline). */
  invoke(event: unknown, opts?: { timeoutMs?: number }): Promise<unknown>;
}

export interface QueueTrigger {
  readonly fn: LocalFunction;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly batchSize: number;
  readonly batchingWindowSeconds: number;
  readonly reportBatchItemFailures: boolean;
}
export interface ScheduleTrigger {
  readonly fn: LocalFunction;
  readonly expression: string;
  readonly ruleName: string;
  readonly input?: unknown;
}
export interface HttpRoute {
  readonly fn: LocalFunction;
  readonly method: string;
  readonly path: string;
  readonly authorization: string;
}

export interface LocalFunctions {
  readonly functions: LocalFunction[];
  readonly queues: QueueTrigger[];
  readonly schedules: ScheduleTrigger[];
  readonly routes: HttpRoute[];
}

const projectRoot = resolvePath(import.meta.dirname, '..');

/**
 * Splits the functions' environments into what they all agree on, which this process can hold
 * once, and the variables that differ between functions (each consumer's own dead-letter queue,
 * say), which no single process.env can hold for all of them.
 */
export function splitEnvironments(environments: readonly Record<string, string>[]): {
  shared: Record<string, string>;
  distinct: Set<string>;
} {
  const shared: Record<string, string> = {};
  const distinct = new Set<string>();
  for (const environment of environments)
    for (const [k, v] of Object.entries(environment)) {
      if (k in shared && shared[k] !== v) distinct.add(k);
      else shared[k] = v;
    }
  for (const k of distinct) delete shared[k];
  return { shared, distinct };
}

let importing: Promise<unknown> = Promise.resolve();

/**
 * Imports a handler module with its function's own values of the `distinct` variables in
 * process.env, and without the others'. Handlers read their config once, at import, as on Lambda,
 * so that is when they must see them; imports take turns so no two overlap.
 */
function importWithEnvironment(
  url: string,
  environment: Record<string, string>,
  distinct: ReadonlySet<string>,
): Promise<Record<string, unknown>> {
  const run = importing.then(async () => {
    for (const k of distinct) {
      if (k in environment) process.env[k] = environment[k];
      else delete process.env[k];
    }
    try {
      return (await import(url)) as Record<string, unknown>;
    } finally {
      for (const k of distinct) delete process.env[k];
    }
  });
  importing = run.catch(() => undefined);
  return run;
}

function lambdaContext(fn: LocalFunction, timeoutMs = fn.timeoutSeconds * 1000): Context {
  const deadline = Date.now() + timeoutMs;
  const requestId = randomUUID();
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: fn.name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${process.env.AWS_REGION}:123456789012:function:${fn.name}`,
    memoryLimitInMB: String(fn.memoryMb),
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${fn.name}`,
    logStreamName: `local/${requestId}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** The logical id of the role a function's `Role` names (`Fn::GetAtt: [Role, Arn]`). */
function roleOf(properties: Record<string, unknown> | undefined): string {
  const role = properties?.Role as { 'Fn::GetAtt'?: [string, string] } | string | undefined;
  return typeof role === 'object' && role['Fn::GetAtt'] ? role['Fn::GetAtt'][0] : String(role ?? '');
}

/**
 * Reads the functions and their triggers from the packaged template. Each function's environment
 * is the template's, resolved against the local stack. Handlers share this process: what the
 * functions agree on goes into process.env, and each handler is imported with its own values of
 * the variables they do not agree on.
 */
export async function loadFunctions(template: CfnTemplate, stack: LocalStack): Promise<LocalFunctions> {
  const byArn = new Map<string, LocalFunction>();
  const byLogical = new Map<string, LocalFunction>();
  const environments: Record<string, string>[] = [];
  let distinct: ReadonlySet<string> = new Set();
  const resources = Object.entries(template.Resources);

  for (const [id, res] of resources.filter(([, r]) => r.Type === 'AWS::Lambda::Function')) {
    const p = (await stack.resolve(res.Properties)) as {
      FunctionName: string;
      Handler: string;
      Timeout?: number;
      MemorySize?: number;
      Environment?: { Variables?: Record<string, string> };
    };
    const environment = Object.fromEntries(
      Object.entries(p.Environment?.Variables ?? {}).map(([k, v]) => [k, String(v)]),
    );
    environments.push(environment);
    const dot = p.Handler.lastIndexOf('.');
    const file = p.Handler.slice(0, dot);
    const exportName = p.Handler.slice(dot + 1);
    type Handler = (event: unknown, context: Context) => Promise<unknown>;
    let loaded: Handler | undefined;
    const fn: LocalFunction = {
      logicalId: id,
      name: p.FunctionName,
      role: roleOf(res.Properties),
      handler: p.Handler,
      timeoutSeconds: p.Timeout ?? 6,
      memoryMb: p.MemorySize ?? 1024,
      environment,
      async invoke(event, opts) {
        if (!loaded) {
          const url = pathToFileURL(resolvePath(projectRoot, `${file}.ts`)).href;
          const mod = await importWithEnvironment(url, environment, distinct);
          const handler = mod[exportName];
          if (typeof handler !== 'function')
            throw new Error(`${p.Handler}: no exported function ${exportName}`);
          loaded = handler as Handler;
        }
        const handler = loaded;
        return asPrincipal(fn.role, () => handler(event, lambdaContext(fn, opts?.timeoutMs)));
      },
    };
    const arn = (stack.physical.get(id)?.attrs.Arn as string) ?? '';
    byArn.set(arn, fn);
    byLogical.set(id, fn);
  }
  const split = splitEnvironments(environments);
  distinct = split.distinct;
  Object.assign(process.env, split.shared);

  const queueByArn = new Map<string, string>();
  for (const [id, res] of resources) {
    const phys = stack.physical.get(id);
    if (res.Type === 'AWS::SQS::Queue' && phys) queueByArn.set(String(phys.attrs.Arn), phys.ref);
  }
  const fnFor = (arn: unknown): LocalFunction => {
    const fn = byArn.get(String(arn)) ?? byLogical.get(String(arn));
    if (!fn) throw new Error(`local cloud: no function for ${String(arn)}`);
    return fn;
  };

  const queues: QueueTrigger[] = [];
  const schedules: ScheduleTrigger[] = [];
  const routes: HttpRoute[] = [];
  for (const [id, res] of resources) {
    if (res.Type === 'AWS::Lambda::EventSourceMapping') {
      const p = (await stack.resolve(res.Properties)) as Record<string, unknown>;
      const queueArn = String(p.EventSourceArn);
      const queueUrl = queueByArn.get(queueArn);
      if (!queueUrl || p.Enabled === false) continue;
      queues.push({
        fn: fnFor(p.FunctionName),
        queueUrl,
        queueArn,
        batchSize: Number(p.BatchSize ?? 10),
        batchingWindowSeconds: Number(p.MaximumBatchingWindowInSeconds ?? 0),
        reportBatchItemFailures: ((p.FunctionResponseTypes as string[]) ?? []).includes(
          'ReportBatchItemFailures',
        ),
      });
    } else if (res.Type === 'AWS::Events::Rule' || res.Type === 'AWS::Scheduler::Schedule') {
      const p = (await stack.resolve(res.Properties)) as Record<string, unknown>;
      if (p.State === 'DISABLED') continue;
      const targets = (res.Type === 'AWS::Events::Rule' ? p.Targets : [p.Target]) as {
        Arn: string;
        Input?: string;
      }[];
      for (const t of targets) {
        schedules.push({
          fn: fnFor(t.Arn),
          expression: String(p.ScheduleExpression),
          ruleName: String(p.Name ?? id),
          ...(t.Input ? { input: JSON.parse(t.Input) } : {}),
        });
      }
    } else if (res.Type === 'AWS::ApiGatewayV2::Route') {
      const p = (await stack.resolve(res.Properties)) as Record<string, unknown>;
      const integrationId = String(p.Target).replace(/^integrations\//, '');
      const integration = template.Resources[integrationId];
      const uri =
        integration &&
        ((await stack.resolve(integration.Properties)) as Record<string, unknown>).IntegrationUri;
      const [method = 'ANY', path = '/'] = String(p.RouteKey).split(' ');
      routes.push({ fn: fnFor(uri), method, path, authorization: String(p.AuthorizationType ?? 'NONE') });
    }
  }
  return { functions: [...byLogical.values()], queues, schedules, routes };
}
