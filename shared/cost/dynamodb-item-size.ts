/**
 * The size DynamoDB bills an item at, from its document form (what lib-dynamodb sends), by the
 * rules of https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html:
 * each attribute costs its name's UTF-8 bytes plus its value's size; a string its UTF-8 bytes, a
 * number one byte per two significant digits plus one, a Boolean or null one byte, a list or map
 * three bytes plus its elements, each element one more.
 */

/** Storage counts this much more per item, and per index entry, than the item's size. */
export const ITEM_STORAGE_OVERHEAD_BYTES = 100;

const utf8 = (s: string) => Buffer.byteLength(s, 'utf8');

function numberBytes(n: number): number {
  const digits = Math.abs(n)
    .toExponential()
    .replace(/e.*$/, '')
    .replace('.', '')
    .replace(/^0+|0+$/g, '');
  return Math.ceil(Math.max(digits.length, 1) / 2) + 1;
}

function valueBytes(value: unknown): number {
  if (value === null || value === undefined || typeof value === 'boolean') return 1;
  if (typeof value === 'string') return utf8(value);
  if (typeof value === 'number') return numberBytes(value);
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return value.byteLength;
  if (value instanceof Set) return [...value].reduce<number>((n, v) => n + valueBytes(v), 0);
  if (Array.isArray(value)) return 3 + value.reduce<number>((n, v) => n + 1 + valueBytes(v), 0);
  if (typeof value === 'object')
    return 3 + Object.entries(value).reduce((n, [k, v]) => n + 1 + utf8(k) + valueBytes(v), 0);
  throw new TypeError(`not a DynamoDB value: ${typeof value}`);
}

/** An item's size in bytes (what a write's capacity units are rounded up from). */
export function dynamoItemBytes(item: Readonly<Record<string, unknown>>): number {
  return Object.entries(item).reduce((n, [name, value]) => n + utf8(name) + valueBytes(value), 0);
}

/** Write units of one standard write of an item this size: one per KB started. */
export function writeUnits(itemBytes: number): number {
  return Math.max(1, Math.ceil(itemBytes / 1024));
}
