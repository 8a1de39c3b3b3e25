/**
 * Strict checks for the JSON logvault stores for itself to read back (the shipper's batch header
 * and state). zod does the same elsewhere; these formats are also read and written by the instance
 * shipper, whose bundle travels inside EC2 user data (16 KiB), where zod (~27 KiB gzipped) cannot.
 */

/** A value that breaks its format, with where in the document it is. */
export class ShapeError extends Error {
  override readonly name = 'ShapeError';
  constructor(
    readonly at: string,
    readonly problem: string,
  ) {
    super(`${at || 'document'}: ${problem}`);
  }
}

/** Checks `value` (found at `at`) and returns it typed, or throws ShapeError. */
export type Check<T> = (value: unknown, at: string) => T;
export type Checked<C> = C extends Check<infer T> ? T : never;

const join = (at: string, key: string | number) => (at ? `${at}.${key}` : String(key));

export interface StringRules {
  readonly min?: number;
  readonly max?: number;
  readonly pattern?: RegExp;
  /** Further rules: a test and what to say when it fails. */
  readonly rules?: readonly (readonly [(s: string) => boolean, string])[];
}

export function string(rules: StringRules = {}): Check<string> {
  return (value, at) => {
    if (typeof value !== 'string') throw new ShapeError(at, 'must be a string');
    if (rules.min !== undefined && value.length < rules.min)
      throw new ShapeError(at, `must be at least ${rules.min} characters`);
    if (rules.max !== undefined && value.length > rules.max)
      throw new ShapeError(at, `must be at most ${rules.max} characters`);
    if (rules.pattern && !rules.pattern.test(value)) throw new ShapeError(at, `must match ${rules.pattern}`);
    for (const [test, message] of rules.rules ?? []) if (!test(value)) throw new ShapeError(at, message);
    return value;
  };
}

/** A whole number in [min, max]; by default any safe non-negative integer. */
export function integer(min = 0, max = Number.MAX_SAFE_INTEGER): Check<number> {
  return (value, at) => {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max)
      throw new ShapeError(at, `must be a whole number from ${min} to ${max}`);
    return value;
  };
}

/** Any finite number (times in milliseconds, which may carry fractions). */
export const finite: Check<number> = (value, at) => {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new ShapeError(at, 'must be a number');
  return value;
};

export const boolean: Check<boolean> = (value, at) => {
  if (typeof value !== 'boolean') throw new ShapeError(at, 'must be true or false');
  return value;
};

export function literal<const T extends string | number>(expected: T): Check<T> {
  return (value, at) => {
    if (value !== expected) throw new ShapeError(at, `must be ${JSON.stringify(expected)}`);
    return expected;
  };
}

export function oneOf<const T extends string>(values: readonly T[]): Check<T> {
  return (value, at) => {
    if (!values.includes(value as T)) throw new ShapeError(at, `must be one of ${values.join(', ')}`);
    return value as T;
  };
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/** An ISO 8601 instant in UTC (`...Z`), as Date.toISOString writes. */
export const isoInstant: Check<string> = (value, at) => {
  if (typeof value !== 'string' || !ISO_INSTANT.test(value) || Number.isNaN(Date.parse(value)))
    throw new ShapeError(at, 'must be an ISO date-time in UTC');
  return value;
};

export function nullable<T>(check: Check<T>): Check<T | null> {
  return (value, at) => (value === null ? null : check(value, at));
}

export function arrayOf<T>(check: Check<T>, max = Number.MAX_SAFE_INTEGER): Check<T[]> {
  return (value, at) => {
    if (!Array.isArray(value)) throw new ShapeError(at, 'must be an array');
    if (value.length > max) throw new ShapeError(at, `must hold at most ${max} entries`);
    return value.map((item, i) => check(item, join(at, i)));
  };
}

type Shape = Record<string, Check<unknown>>;
type Out<R extends Shape, O extends Shape> = { [K in keyof R]: Checked<R[K]> } & {
  [K in keyof O]?: Checked<O[K]>;
};

/**
 * An object with exactly these keys: every `required` one, any of `optional` (absent, never
 * `undefined`), and nothing else.
 */
export function object<R extends Shape, O extends Shape = Record<never, never>>(
  required: R,
  optional?: O,
): Check<Out<R, O>> {
  return (value, at) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw new ShapeError(at, 'must be an object');
    const input = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(input)) {
      if (!Object.hasOwn(required, key) && !(optional && Object.hasOwn(optional, key)))
        throw new ShapeError(join(at, key), 'is not a known field');
    }
    for (const [key, check] of Object.entries(required)) {
      if (!Object.hasOwn(input, key)) throw new ShapeError(join(at, key), 'is required');
      out[key] = check(input[key], join(at, key));
    }
    for (const [key, check] of Object.entries(optional ?? {})) {
      if (Object.hasOwn(input, key)) out[key] = check(input[key], join(at, key));
    }
    return out as Out<R, O>;
  };
}

/** Adds a rule over the whole checked value. */
export function refine<T>(check: Check<T>, test: (value: T) => boolean, message: string): Check<T> {
  return (value, at) => {
    const checked = check(value, at);
    if (!test(checked)) throw new ShapeError(at, message);
    return checked;
  };
}
