import { readFileSync } from 'node:fs';

/** A CloudFormation resource as `serverless package` writes it. */
export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly DependsOn?: string | string[];
}
export interface CfnTemplate {
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

/**
 * Evaluates the intrinsic functions a Serverless template uses (Ref, Fn::GetAtt, Fn::Sub,
 * Fn::Join, Fn::Select, Fn::Split) against physical ids. `physical` creates a resource on first use,
 * so resources come to exist in dependency order.
 */
export function makeResolver(pseudo: Pseudo, physical: (logicalId: string) => Promise<Physical>) {
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
    return (await physical(name)).ref;
  };
  const getAtt = async (name: string, attr: string): Promise<string> => {
    const p = await physical(name);
    const value = p.attrs[attr];
    if (value === undefined) throw new Error(`template: ${name} has no attribute ${attr} in the local cloud`);
    return value;
  };

  const resolve = async (value: unknown): Promise<unknown> => {
    if (Array.isArray(value)) return Promise.all(value.map(resolve));
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value);
    const [fn, arg] = entries[0] ?? [];
    if (entries.length === 1 && fn) {
      if (fn === 'Ref') return ref(arg as string);
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
    for (const [k, v] of entries) out[k] = await resolve(v);
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

  return resolve;
}
