const NAMED: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** C0 and C1 controls, DEL, and the marks and overrides that reorder how a line reads. */
function unsafe(code: number): boolean {
  return (
    code < 0x20 ||
    (code >= 0x7f && code <= 0x9f) ||
    code === 0x061c ||
    code === 0x200e ||
    code === 0x200f ||
    (code >= 0x202a && code <= 0x202e) ||
    (code >= 0x2066 && code <= 0x2069)
  );
}

/**
 * Text from keys, metadata or errors, made safe to print for a person. S3 keys may hold any
 * character: an escape sequence in one would restyle, move or hide what the terminal shows. Such
 * characters become visible escapes (`\x1b`, `\r`, `\u{202e}`), and a backslash is doubled so that
 * each printed form stands for one string. JSON output never goes through this: it stays exact.
 */
export function forTerminal(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    if (NAMED[ch]) out += NAMED[ch];
    else if (!unsafe(code)) out += ch;
    else if (code <= 0xff) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += `\\u{${code.toString(16)}}`;
  }
  return out;
}
