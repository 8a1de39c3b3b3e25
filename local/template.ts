import { readFileSync } from 'node:fs';

/** A CloudFormation resource as `serverless package` writes it. */
export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly DependsOn?: string | string[];
  /** A condition name: the resource exists only when the condition holds. */
  readonly Condition?: string;
  /** What CloudFormation does with it when the stack is deleted, and when an update replaces it. */
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
}
export interface CfnTemplate {
  readonly Parameters?: Record<string, { Default?: unknown }>;
  readonly Conditions?: Record<string, unknown>;
  readonly Resources: Record<string, CfnResource>;
  readonly Outputs?: Record<string, { Value: unknown }>;
}

export function readTemplate(path: string): CfnTemplate {
  return JSON.parse(readFileSync(path, 'utf8')) as CfnTemplate;
}

/** What a resource answers to `Ref` and `Fn::GetAtt`, once it exists. */
export interface Physical {
  readonly ref: string;
  readonly attrs: Record<string, string>;
}

export interface Pseudo {
  readonly accountId: string;
  readonly region: string;
  readonly stackName: string;
}

/** What the template declares beyond its resources: parameters (at their defaults) and conditions. */
export interface TemplateContext {
  readonly Parameters?: CfnTemplate['Parameters'];
  readonly Conditions?: CfnTemplate['Conditions'];
}

/**
 * Evaluates the intrinsic functions a Serverless template uses (Ref, Fn::GetAtt, Fn::Sub,
 * Fn::Join, Fn::Select, Fn::Split, Fn::If and the condition functions) against physical ids.
 * Parameters take their defaults. `physical` creates a resource on first use, so resources come to
 * exist in dependency order.
 */
export function makeResolver(
  pseudo: Pseudo,
  physical: (logicalId: string) => Promise<Physical>,
  context: TemplateContext = {},
) {
  const pseudoRef = (name: string): string | undefined =>
    ({
      'AWS::AccountId': pseudo.accountId,
      'AWS::Region': pseudo.region,
      'AWS::StackName': pseudo.stackName,
      'AWS::Partition': 'aws',
      'AWS::URLSuffix': 'amazonaws.com',
      'AWS::NoValue': undefined,
    })[name];

  const ref = async (name: string): Promise<string> => {
    if (name.startsWith('AWS::')) return pseudoRef(name) ?? '';
    const parameter = context.Parameters?.[name];
    if (parameter) return String(parameter.Default ?? '');
    return (await physical(name)).ref;
  };
  const getAtt = async (name: string, attr: string): Promise<string> => {
    const p = await physical(name);
    const value = p.attrs[attr];
    if (value === undefined) throw new Error(`template: ${name} has no attribute ${attr} in the local cloud`);
    return value;
  };

  const condition = async (name: string): Promise<boolean> => {
    const definition = context.Conditions?.[name];
    if (definition === undefined) throw new Error(`template: no condition named ${name}`);
    return Boolean(await resolve(definition));
  };

  const resolve = async (value: unknown): Promise<unknown> => {
    if (Array.isArray(value)) return Promise.all(value.map(resolve));
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value);
    const [fn, arg] = entries[0] ?? [];
    if (entries.length === 1 && fn) {
      if (fn === 'Ref') return arg === 'AWS::NoValue' ? undefined : ref(arg as string);
      if (fn === 'Condition') return condition(arg as string);
      if (fn === 'Fn::If') {
        const [name, whenTrue, whenFalse] = arg as [string, unknown, unknown];
        return resolve((await condition(name)) ? whenTrue : whenFalse);
      }
      if (fn === 'Fn::Equals') {
        const [a, b] = (await resolve(arg)) as [unknown, unknown];
        return String(a) === String(b);
      }
      if (fn === 'Fn::Not') return !((await resolve(arg)) as unknown[])[0];
      if (fn === 'Fn::And') return ((await resolve(arg)) as unknown[]).every(Boolean);
      if (fn === 'Fn::Or') return ((await resolve(arg)) as unknown[]).some(Boolean);
      if (fn === 'Fn::GetAtt') {
        const [name, attr] = Array.isArray(arg) ? arg : String(arg).split('.');
        return getAtt(String(name), String(attr));
      }
      if (fn === 'Fn::Join') {
        const [sep, parts] = arg as [string, unknown[]];
        return ((await resolve(parts)) as unknown[]).join(sep);
      }
      if (fn === 'Fn::Select') {
        const [index, list] = arg as [number, unknown];
        return ((await resolve(list)) as unknown[])[Number(index)];
      }
      if (fn === 'Fn::Split') {
        const [sep, text] = arg as [string, unknown];
        return String(await resolve(text)).split(sep);
      }
      if (fn === 'Fn::Sub') return sub(arg);
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of entries) {
      const resolved = await resolve(v);
      // Fn::If with AWS::NoValue removes the property altogether.
      if (resolved !== undefined) out[k] = resolved;
    }
    return out;
  };

  const sub = async (arg: unknown): Promise<string> => {
    const [text, vars] = Array.isArray(arg)
      ? (arg as [string, Record<string, unknown>])
      : [arg as string, {}];
    const names = [...text.matchAll(/\$\{([^!}][^}]*)\}/g)].map((m) => m[1] as string);
    const values = new Map<string, string>();
    for (const name of names) {
      if (name in vars) values.set(name, String(await resolve(vars[name])));
      else if (name.includes('.') && !name.startsWith('AWS::')) {
        const [res, attr] = name.split('.');
        values.set(name, await getAtt(String(res), String(attr)));
      } else values.set(name, await ref(name));
    }
    return text
      .replace(/\$\{([^!}][^}]*)\}/g, (_m, n: string) => values.get(n) ?? '')
      .replace(/\$\{!/g, '${');
  };

  return Object.assign(resolve, { condition });
}
