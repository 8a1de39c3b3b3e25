import { describe, expect, it } from 'vitest';
import { InOrder } from '#shared/logs/in-order.ts';

const b = (s: string) => Buffer.from(s);
const text = (chunks: Buffer[]) => Buffer.concat(chunks).toString();

describe('putting members back in byte order', () => {
  it('sends members as they arrive when they arrive in order', () => {
    const o = new InOrder();
    expect(text(o.push(0, b('ab')))).toBe('ab');
    expect(text(o.push(2, b('cd')))).toBe('cd');
    expect(o.drain()).toEqual([]);
  });

  it('holds a member that arrives early until the bytes before it arrive', () => {
    const o = new InOrder();
    expect(o.push(4, b('ef'))).toEqual([]);
    expect(o.push(2, b('cd'))).toEqual([]);
    expect(text(o.push(0, b('ab')))).toBe('abcdef');
    expect(o.at).toBe(6);
  });

  it('sends bytes of overlapping segments once', () => {
    const o = new InOrder();
    expect(text(o.push(0, b('abcd')))).toBe('abcd');
    expect(text(o.push(2, b('cdef')))).toBe('ef');
    expect(o.push(1, b('bc'))).toEqual([]);
  });

  it('after a hole, what waits is drained in order with its true offsets', () => {
    const o = new InOrder();
    o.push(0, b('ab'));
    o.push(9, b('xy'));
    o.push(5, b('fg'));
    o.push(7, b('hi'));
    expect(o.drain().map((r) => [r.start, r.bytes.toString()])).toEqual([[5, 'fghixy']]);
  });

  it('drains separate runs across several holes', () => {
    const o = new InOrder();
    o.push(3, b('d'));
    o.push(8, b('ij'));
    expect(o.drain().map((r) => [r.start, r.bytes.toString()])).toEqual([
      [3, 'd'],
      [8, 'ij'],
    ]);
  });
});
