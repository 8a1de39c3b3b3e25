import { describe, expect, it } from 'vitest';
import { forTerminal } from '#cli/terminal-text.ts';

describe('text for the terminal', () => {
  it('shows control characters and escape sequences as visible escapes', () => {
    expect(forTerminal('a\x1b[31mred\x1b[0m\x01\r\n\t\x7f\x9b.log')).toBe(
      'a\\x1b[31mred\\x1b[0m\\x01\\r\\n\\t\\x7f\\x9b.log',
    );
  });

  it('shows the marks that reorder a line', () => {
    expect(forTerminal('invoice\u202Egol.exe')).toBe('invoice\\u{202e}gol.exe');
  });

  it('keeps printable text, unicode included, and doubles a backslash so each form is one string', () => {
    expect(forTerminal('ünïcödé/日志/a b+c%.log')).toBe('ünïcödé/日志/a b+c%.log');
    expect(forTerminal('a\\x01')).toBe('a\\\\x01');
    expect(forTerminal('a\\x01')).not.toBe(forTerminal('a\x01'));
  });
});
