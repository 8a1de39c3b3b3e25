import { afterEach, describe, expect, it, vi } from 'vitest';
import { displayWidth, padToWidth } from '#cli/display-width.ts';
import { formatRatio, printTable, progressLine } from '#cli/output.ts';

describe('displayWidth', () => {
  it('counts one column per ASCII or Latin character', () => {
    expect(displayWidth('plain.log')).toBe(9);
    expect(displayWidth('δοκιμή')).toBe(6);
  });

  it('counts East Asian wide and fullwidth characters as two columns', () => {
    expect(displayWidth('日志')).toBe(4);
    expect(displayWidth('ファイル')).toBe(8);
    expect(displayWidth('한글')).toBe(4);
    expect(displayWidth('ＡＢ')).toBe(4);
    expect(displayWidth('a日b')).toBe(4);
  });

  it('counts combining marks and zero-width characters as none', () => {
    expect(displayWidth('e\u0301')).toBe(1);
    expect(displayWidth('ü'.normalize('NFD'))).toBe(1);
    expect(displayWidth('a\u200bb')).toBe(2);
  });

  it('counts emoji shown as pictures as two columns', () => {
    expect(displayWidth('🚀')).toBe(2);
  });

  it('pads to a column count, not a character count', () => {
    expect(padToWidth('日志', 6)).toBe('日志  ');
    expect(padToWidth('7', 3, 'right')).toBe('  7');
  });
});

describe('printTable', () => {
  afterEach(() => vi.restoreAllMocks());

  it('aligns columns after wide characters and combining marks', () => {
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      lines.push(String(chunk).replace(/\n$/, ''));
      return true;
    });
    const rows = [
      ['ünïcödé/日志/δοκιμή.log', '2.5 KiB'],
      ['plain.log', '168.8 KiB'],
      ['cafe\u0301.log', '1 B'],
    ];
    printTable(['FILE', 'SIZE'], rows);

    const second = [['FILE', 'SIZE'], ...rows].map((r, i) => {
      const line = lines[i] as string;
      return displayWidth(line.slice(0, line.lastIndexOf(r[1] as string)));
    });
    expect(second).toEqual([25, 25, 25, 25]);
  });
});

describe('formatRatio', () => {
  it('prints every ratio with two decimals and ×', () => {
    expect(formatRatio(7010, 1000)).toBe('7.01×');
    expect(formatRatio(7000, 1000)).toBe('7.00×');
    expect(formatRatio(930, 1000)).toBe('0.93×');
  });

  it('prints — for an empty file, which has no ratio', () => {
    expect(formatRatio(0, 616)).toBe('—');
  });
});

describe('progressLine', () => {
  it('shows files only when the bytes are not known', () => {
    expect(progressLine({ label: 'verifying', done: 2, total: 5, elapsedMs: 1000 })).toBe('verifying 2/5');
  });

  it('shows bytes of the total and the rate', () => {
    const line = progressLine({
      label: 'shipping',
      done: 0,
      total: 1,
      detail: 'huge.log',
      bytes: 512 * 1024 ** 2,
      totalBytes: 1024 ** 3,
      elapsedMs: 4000,
    });
    expect(line).toBe('shipping 0/1 huge.log  512.0 MiB of 1.0 GiB, 128.0 MiB/s');
  });

  it('shows bytes and rate alone when neither the items nor the bytes to come are known', () => {
    expect(progressLine({ label: 'shipping', done: 0, bytes: 3 * 1024 ** 2, elapsedMs: 1000 })).toBe(
      'shipping 3.0 MiB, 3.0 MiB/s',
    );
  });
});
