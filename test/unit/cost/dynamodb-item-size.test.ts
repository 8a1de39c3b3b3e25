import { describe, expect, it } from 'vitest';
import { dynamoItemBytes, writeUnits } from '#shared/cost/dynamodb-item-size.ts';

describe('dynamoItemBytes', () => {
  it('counts a string as its name and value in UTF-8', () => {
    expect(dynamoItemBytes({ id: 'abc' })).toBe(2 + 3);
    expect(dynamoItemBytes({ k: 'é' })).toBe(1 + 2);
  });

  it('counts a number as one byte per two significant digits, plus one', () => {
    expect(dynamoItemBytes({ n: 7 })).toBe(1 + 2);
    expect(dynamoItemBytes({ n: 1234 })).toBe(1 + 3);
    expect(dynamoItemBytes({ n: 12345 })).toBe(1 + 4);
    // Leading and trailing zeros are trimmed.
    expect(dynamoItemBytes({ n: 1_000_000 })).toBe(1 + 2);
    expect(dynamoItemBytes({ n: 0.005 })).toBe(1 + 2);
    expect(dynamoItemBytes({ n: 1_764_153_600 })).toBe(1 + 5);
  });

  it('counts Booleans and nulls as one byte', () => {
    expect(dynamoItemBytes({ b: true, z: null })).toBe(1 + 1 + 1 + 1);
  });

  it('counts a list or map as three bytes, its elements, and one byte for each element', () => {
    expect(dynamoItemBytes({ l: [] })).toBe(1 + 3);
    expect(dynamoItemBytes({ l: ['ab', 'c'] })).toBe(1 + 3 + (1 + 2) + (1 + 1));
    expect(dynamoItemBytes({ m: { ab: 'c' } })).toBe(1 + 3 + (1 + 2 + 1));
  });
});

describe('writeUnits', () => {
  it('takes one unit per KB started, at least one', () => {
    expect(writeUnits(0)).toBe(1);
    expect(writeUnits(1024)).toBe(1);
    expect(writeUnits(1025)).toBe(2);
  });
});
