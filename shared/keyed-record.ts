import * as z from 'zod';

/**
 * A zod record of user-chosen keys (tag names) that refuses `__proto__` by name. zod drops that key
 * without a word, so a tag written as `__proto__` would otherwise vanish: a policy would match more
 * than it says, or an instance launch without a tag it was asked for.
 */
export function keyedRecord<K extends z.core.$ZodRecordKey, V extends z.ZodType>(
  key: K,
  value: V,
  what: string,
) {
  return z.preprocess(
    (input, ctx) => {
      if (typeof input === 'object' && input !== null && Object.hasOwn(input, '__proto__'))
        ctx.addIssue({ code: 'custom', message: `__proto__ cannot be ${what}`, path: ['__proto__'], input });
      return input;
    },
    z.record(key, value),
  );
}
