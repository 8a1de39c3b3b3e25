import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadPolicy } from '@cloud-copilot/iam-policy';
import type { PolicyDocument } from './stack-model.ts';

/**
 * IAM policy evaluation by @cloud-copilot/iam-simulate: identity and resource policies (bucket,
 * key and queue policies, with KMS's own rule that a key policy must delegate to IAM), conditions
 * and policy variables, offline.
 *
 * Its validated entry point, runSimulation, drops context keys with a variable name joined by a
 * colon (`kms:EncryptionContext:aws:s3:arn`, which the archive key's policy conditions on) and
 * cannot type an ARN without an account (AWS's public SSM parameters). So this calls the engine
 * the way the library's own runUnsafeSimulation does, keeping the analysis that function
 * discards: which statements allowed a request, and how the others failed to match.
 */

export type Decision = 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied';

export interface StatementMatch {
  readonly policyId: string;
  readonly sid: string;
  readonly effect: 'Allow' | 'Deny';
  /** For resource policies: whether the statement's principal names the caller itself (not its account). */
  readonly namesCaller: boolean;
  readonly actionMatch: boolean;
  readonly resourceMatch: boolean;
  readonly conditionMatch: boolean;
  /** The statement's resource patterns that matched the request. */
  readonly matchedResources: string[];
  /** Condition keys whose test failed. */
  readonly failedConditions: string[];
}

export interface Analysis {
  readonly result: Decision;
  readonly identityAllows: StatementMatch[];
  readonly resourceAllows: StatementMatch[];
  readonly denies: StatementMatch[];
  /** Identity statements that did not allow: for naming what would have to change. */
  readonly identityUnmatched: StatementMatch[];
  readonly resourceUnmatched: StatementMatch[];
}

export interface SimulationRequest {
  readonly principal: string;
  readonly action: string;
  readonly resource: string;
  readonly accountId: string;
  readonly context: Readonly<Record<string, string | string[]>>;
  readonly identityPolicies: readonly { readonly name: string; readonly document: PolicyDocument }[];
  readonly resourcePolicy?: PolicyDocument;
}

interface RawExplain {
  identifier?: string;
  effect?: 'Allow' | 'Deny';
  resources?: { resource: string; matches: boolean } | { resource: string; matches: boolean }[];
  conditions?: { conditionKeyValue: string; matches: boolean }[];
}
interface RawStatement {
  policyId: string;
  actionMatch: boolean;
  resourceMatch: boolean;
  conditionMatch: string;
  principalMatch: string;
  explain: RawExplain;
}
interface RawSide {
  allowStatements: RawStatement[];
  denyStatements: RawStatement[];
  unmatchedStatements: RawStatement[];
}
interface RawAnalysis {
  result: Decision;
  identityAnalysis?: RawSide;
  resourceAnalysis?: RawSide;
}
type Engine = {
  authorize(input: unknown): RawAnalysis;
  AwsRequestImpl: new (principal: string, resource: object, action: string, context: unknown) => unknown;
  RequestContextImpl: new (values: object) => unknown;
  DiscoveryContextKeyConstraints: new (constraints: unknown[]) => unknown;
};

let engine: Promise<Engine> | undefined;
function loadEngine(): Promise<Engine> {
  engine ??= (async () => {
    const require = createRequire(import.meta.url);
    const root = join(dirname(require.resolve('@cloud-copilot/iam-simulate')), '..', 'esm');
    const load = (path: string) => import(pathToFileURL(join(root, path)).href);
    const [core, request, context, discovery] = await Promise.all([
      load('core_engine/CoreSimulatorEngine.js'),
      load('request/request.js'),
      load('requestContext.js'),
      load('context_keys/discoveryContextKeyConstraints.js'),
    ]);
    return {
      authorize: core.authorize,
      AwsRequestImpl: request.AwsRequestImpl,
      RequestContextImpl: context.RequestContextImpl,
      DiscoveryContextKeyConstraints: discovery.DiscoveryContextKeyConstraints,
    } as Engine;
  })();
  return engine;
}

function toMatch(s: RawStatement): StatementMatch {
  const resources = [s.explain.resources ?? []].flat();
  return {
    policyId: s.policyId,
    sid: s.explain.identifier ?? '',
    effect: s.explain.effect ?? 'Allow',
    namesCaller: s.principalMatch === 'Match',
    actionMatch: s.actionMatch,
    resourceMatch: s.resourceMatch,
    conditionMatch: s.conditionMatch === 'Match',
    matchedResources: resources.filter((r) => r.matches).map((r) => r.resource),
    failedConditions: (s.explain.conditions ?? []).filter((c) => !c.matches).map((c) => c.conditionKeyValue),
  };
}

/** Evaluates one request against the principal's identity policies and the resource's policy. */
export async function simulate(request: SimulationRequest): Promise<Analysis> {
  const e = await loadEngine();
  const raw = e.authorize({
    request: new e.AwsRequestImpl(
      request.principal,
      { resource: request.resource, accountId: request.accountId },
      request.action,
      new e.RequestContextImpl({ ...request.context }),
    ),
    sessionPolicy: undefined,
    identityPolicies: request.identityPolicies.map((p) => loadPolicy(p.document, { name: p.name })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: request.resourcePolicy
      ? loadPolicy(request.resourcePolicy, { name: 'resource policy' })
      : undefined,
    permissionBoundaries: undefined,
    vpcEndpointPolicies: undefined,
    simulationParameters: {
      simulationMode: 'Strict',
      discoveryContextKeyConstraints: new e.DiscoveryContextKeyConstraints([]),
    },
    serviceSettings: { s3: {} },
  });
  const side = (s: RawSide | undefined, k: keyof RawSide) => (s?.[k] ?? []).map(toMatch);
  return {
    result: raw.result,
    identityAllows: side(raw.identityAnalysis, 'allowStatements'),
    resourceAllows: side(raw.resourceAnalysis, 'allowStatements'),
    denies: [
      ...side(raw.identityAnalysis, 'denyStatements'),
      ...side(raw.resourceAnalysis, 'denyStatements'),
    ],
    identityUnmatched: side(raw.identityAnalysis, 'unmatchedStatements'),
    resourceUnmatched: side(raw.resourceAnalysis, 'unmatchedStatements'),
  };
}
