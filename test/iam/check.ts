import { describeCall, type RecordedCall } from './calls.ts';
import { platformCalls } from './platform-calls.ts';
import { type Requirement, requiredActions, SAMPLE, type Session } from './required-actions.ts';
import { type Analysis, type StatementMatch, simulate } from './simulate.ts';
import { ACCOUNT, type RoleModel, type StackModel, type Statement } from './stack-model.ts';

/** A permission granted to a role, by one of its own statements or by a resource's policy naming it. */
export interface Grant {
  readonly role: string;
  /** The role's policy name, or `<logical id> policy` for a key, bucket or queue policy. */
  readonly policy: string;
  readonly sid: string;
  readonly action: string;
  readonly resource: string;
}

/** A call the template would refuse (or, for a resource outside the stack, allow). */
export interface Finding {
  readonly role: string;
  readonly call: RecordedCall;
  readonly requirement: Requirement;
  readonly message: string;
}

export interface CheckResult {
  readonly findings: Finding[];
  readonly grants: Grant[];
  readonly unused: Grant[];
  /** How many (call, permission) pairs were evaluated. */
  readonly evaluated: number;
}

export const grantKey = (g: Omit<Grant, 'policy'> & { policy: string }) =>
  [g.role, g.policy, g.sid, g.action.toLowerCase(), g.resource].join('\u0000');

const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** The session a role's calls are made in: Lambda names it after the function, EC2 after the instance. */
function sessionOf(role: RoleModel, model: StackModel): Session & { arn: string } {
  const fn = model.functions.find((f) => f.role === role.id);
  const name =
    fn?.name ?? (role.id === 'ProvisionedInstanceRole' ? SAMPLE.ec2.instance : 'logvault-operator');
  return {
    arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${role.name}/${name}`,
    userId: `${role.roleId}:${name}`,
  };
}

/** Who a role is, in the words of the README's security model. */
export function whoIs(role: string, model: StackModel): string {
  const fns = model.functions
    .filter((f) => f.role === role)
    .map((f) => f.id.replace(/LambdaFunction$/, '').toLowerCase());
  if (fns.length) return `the ${fns.join(', ')} function (${role})`;
  if (role === 'ProvisionedInstanceRole') return `the instances' shipper (${role})`;
  return `operators with ${role}`;
}

/** Every Allow a role has: its own statements, and statements of key, bucket and queue policies that name it. */
export function grantsOf(model: StackModel, resourcePolicies: readonly string[]): Grant[] {
  const out: Grant[] = [];
  for (const role of model.roles.values()) {
    for (const p of role.policies)
      for (const s of p.document.Statement) out.push(...expand(role.id, p.name, s));
  }
  for (const id of resourcePolicies) {
    for (const s of model.resourcePolicy(id)?.Statement ?? []) {
      const named = list((s.Principal as { AWS?: string | string[] } | undefined)?.AWS);
      for (const role of model.roles.values())
        if (named.includes(role.arn)) out.push(...expand(role.id, `${id} policy`, s));
    }
  }
  return out;
}

function expand(role: string, policy: string, s: Statement): Grant[] {
  if (s.Effect !== 'Allow') return [];
  return list(s.Action).flatMap((action) =>
    list(s.Resource).map((resource) => ({ role, policy, sid: s.Sid ?? '', action, resource })),
  );
}

function closest(unmatched: StatementMatch[], action: string, resourcePolicy: boolean): string {
  // In a resource policy only an Allow naming this role could be changed to let it in.
  const candidates = unmatched.filter((m) => m.effect === 'Allow' && (!resourcePolicy || m.namesCaller));
  const hint = (m: StatementMatch) => `statement ${m.sid} (${m.policyId})`;
  const failing = candidates.find((m) => m.actionMatch && m.resourceMatch && !m.conditionMatch);
  if (failing)
    return `${hint(failing)} grants it, but its condition on ${failing.failedConditions.join(', ')} does not hold`;
  const forAction = candidates.find((m) => m.actionMatch && !m.resourceMatch);
  if (forAction) return `${hint(forAction)} grants ${action}, but not on this resource`;
  const onResource = candidates.find((m) => m.resourceMatch && !m.actionMatch);
  if (onResource) return `add ${action} to ${hint(onResource)}, which covers this resource`;
  return resourcePolicy
    ? `no statement allows this role ${action}: add one naming it`
    : `no statement grants ${action}`;
}

function explain(role: RoleModel, req: Requirement, a: Analysis, model: StackModel): string {
  if (a.denies.length) {
    const d = a.denies[0] as StatementMatch;
    return `explicitly denied by statement ${d.sid} (${d.policyId})`;
  }
  const keyPolicy = req.policyOf !== undefined && model.typeOf(req.policyOf) === 'AWS::KMS::Key';
  const inKeyPolicy = `in ${req.policyOf}'s key policy: ${closest(a.resourceUnmatched, req.action, true)}`;
  const inRole = `in ${role.id}'s policy: ${closest(a.identityUnmatched, req.action, false)}`;
  if (a.identityAllows.length === 0 && a.resourceAllows.length === 0)
    return keyPolicy ? `${inKeyPolicy}; or ${inRole}, if the key policy lets IAM policies grant it` : inRole;
  return `${role.id}'s policy allows it, but ${keyPolicy ? inKeyPolicy : `${req.policyOf}'s policy does not`}`;
}

/**
 * Evaluates every recorded call, and every call Lambda makes with a function's role, against the
 * roles' policies and the resources' policies in the template. Reports each call that would be
 * refused, and each granted permission that no call needed.
 */
export async function checkCalls(model: StackModel, recorded: readonly RecordedCall[]): Promise<CheckResult> {
  const calls = [...recorded, ...platformCalls(model)];
  const findings: Finding[] = [];
  const used = new Set<string>();
  const policiesSeen = new Set<string>();
  const cache = new Map<string, Promise<Analysis>>();
  let evaluated = 0;

  for (const call of calls) {
    const role = model.roles.get(call.principal);
    if (!role)
      throw new Error(
        `recorded call of ${call.principal}, which is no role of the template: ${describeCall(call)}`,
      );
    const session = sessionOf(role, model);
    const outside = (call.resource ?? '').startsWith('external:');
    for (const req of requiredActions(call, model, session)) {
      evaluated += 1;
      const resourcePolicy = req.policyOf ? model.resourcePolicy(req.policyOf) : undefined;
      if (req.policyOf && resourcePolicy) policiesSeen.add(req.policyOf);
      const context = {
        'aws:SecureTransport': 'true',
        'aws:PrincipalArn': role.arn,
        'aws:PrincipalAccount': ACCOUNT,
        'aws:PrincipalType': 'AssumedRole',
        'aws:userid': session.userId,
        ...req.context,
      };
      const cacheKey = JSON.stringify([role.id, req.action, req.resource, req.policyOf, context]);
      let pending = cache.get(cacheKey);
      if (!pending) {
        pending = simulate({
          principal: session.arn,
          action: req.action,
          resource: req.resource,
          accountId: ACCOUNT,
          context,
          identityPolicies: role.policies,
          ...(resourcePolicy ? { resourcePolicy } : {}),
        });
        cache.set(cacheKey, pending);
      }
      const a = await pending;
      const allowed = a.result === 'Allowed';
      if (allowed) {
        for (const m of a.identityAllows)
          for (const r of m.matchedResources)
            used.add(
              grantKey({ role: role.id, policy: m.policyId, sid: m.sid, action: req.action, resource: r }),
            );
        for (const m of a.resourceAllows)
          for (const r of m.matchedResources)
            used.add(
              grantKey({
                role: role.id,
                policy: `${req.policyOf} policy`,
                sid: m.sid,
                action: req.action,
                resource: r,
              }),
            );
      }
      const what = `${whoIs(role.id, model)}: ${describeCall(call)} needs ${req.action} on ${req.resource}`;
      if (outside && allowed)
        findings.push({
          role: role.id,
          call,
          requirement: req,
          message: `${what}, outside the stack, and is allowed`,
        });
      if (!outside && !allowed)
        findings.push({
          role: role.id,
          call,
          requirement: req,
          message: `${what}: ${explain(role, req, a, model)} (${req.source.url})`,
        });
    }
  }

  const grants = grantsOf(model, [...policiesSeen]);
  const unused = grants.filter((g) => !used.has(grantKey(g)));
  return { findings, grants, unused, evaluated };
}
