import { randomUUID } from 'node:crypto';
import { resolve as resolvePath } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import type { LocalStack } from './stack.ts';
import type { CfnTemplate } from './template.ts';

/** A Lambda function of the template, runnable in this process. */
export interface LocalFunction {
  readonly logicalId: string;
  readonly name: string;
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

/**
 * Reads the functions and their triggers from the packaged template. Each function's environment
 * is the template's, resolved against the local stack; since handlers share this process, the
 * variables are merged, and two functions giving one variable different values is refused.
 */
export async function loadFunctions(template: CfnTemplate, stack: LocalStack): Promise<LocalFunctions> {
  const byArn = new Map<string, LocalFunction>();
  const byLogical = new Map<string, LocalFunction>();
  const env: Record<string, string> = {};
  const resources = Object.entries(template.Resources);

  for (const [id, res] of resources.filter(([, r]) => r.Type === 'AWS::Lambda::Function')) {
    const p = (await stack.resolve(res.Properties)) as {
      FunctionName: string;
      Handler: string;
      Timeout?: number;
      MemorySize?: number;
      Environment?: { Variables?: Record<string, string> };
    };
    const environment = p.Environment?.Variables ?? {};
    for (const [k, v] of Object.entries(environment)) {
      if (k in env && env[k] !== v)
        throw new Error(`local cloud: functions disagree on ${k} (${env[k]} vs ${v})`);
      env[k] = String(v);
    }
    const dot = p.Handler.lastIndexOf('.');
    const file = p.Handler.slice(0, dot);
    const exportName = p.Handler.slice(dot + 1);
    type Handler = (event: unknown, context: Context) => Promise<unknown>;
    let loaded: Handler | undefined;
    const fn: LocalFunction = {
      logicalId: id,
      name: p.FunctionName,
      handler: p.Handler,
      timeoutSeconds: p.Timeout ?? 6,
      memoryMb: p.MemorySize ?? 1024,
      environment,
      async invoke(event, opts) {
        if (!loaded) {
          const mod = (await import(pathToFileURL(resolvePath(projectRoot, `${file}.ts`)).href)) as Record<
            string,
            unknown
          >;
          const handler = mod[exportName];
          if (typeof handler !== 'function')
            throw new Error(`${p.Handler}: no exported function ${exportName}`);
          loaded = handler as Handler;
        }
        return loaded(event, lambdaContext(fn, opts?.timeoutMs));
      },
    };
    const arn = (stack.physical.get(id)?.attrs.Arn as string) ?? '';
    byArn.set(arn, fn);
    byLogical.set(id, fn);
  }
  Object.assign(process.env, env);

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
