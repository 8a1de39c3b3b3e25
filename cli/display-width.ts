/**
 * Code points a terminal draws two columns wide: the East Asian Wide and Fullwidth blocks of
 * Unicode's EastAsianWidth.txt (Hangul, CJK, kana, Yi, fullwidth forms, Tangut and the CJK
 * extension planes). Emoji drawn as pictures are matched by `\p{Emoji_Presentation}` instead.
 */
const WIDE: readonly (readonly [number, number])[] = [
  [0x1100, 0x115f],
  [0x2329, 0x232a],
  [0x2e80, 0x303e],
  [0x3041, 0x33ff],
  [0x3400, 0x4dbf],
  [0x4e00, 0x9fff],
  [0xa000, 0xa4cf],
  [0xa960, 0xa97f],
  [0xac00, 0xd7a3],
  [0xf900, 0xfaff],
  [0xfe10, 0xfe19],
  [0xfe30, 0xfe6f],
  [0xff00, 0xff60],
  [0xffe0, 0xffe6],
  [0x16fe0, 0x16fe4],
  [0x17000, 0x18cff],
  [0x1aff0, 0x1b2ff],
  [0x1f200, 0x1f2ff],
  [0x20000, 0x2fffd],
  [0x30000, 0x3fffd],
];

// Combining marks, format characters (zero-width joiner, soft hyphen) and controls take no column.
const ZERO = /[\p{Mn}\p{Me}\p{Cf}\p{Cc}]/u;
const PICTURE = /\p{Emoji_Presentation}/u;

function isWide(codePoint: number): boolean {
  let lo = 0;
  let hi = WIDE.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [start, end] = WIDE[mid] as readonly [number, number];
    if (codePoint < start) hi = mid - 1;
    else if (codePoint > end) lo = mid + 1;
    else return true;
  }
  return false;
}

/** Columns a terminal needs to show `text`: wide characters count 2, combining marks 0. */
export function displayWidth(text: string): number {
  let width = 0;
  for (const char of text) {
    const codePoint = char.codePointAt(0) as number;
    if (ZERO.test(char)) continue;
    width += isWide(codePoint) || PICTURE.test(char) ? 2 : 1;
  }
  return width;
}

/** Pads `text` with spaces to `width` columns, on the right (or on the left for numbers). */
export function padToWidth(text: string, width: number, align: 'left' | 'right' = 'left'): string {
  const fill = ' '.repeat(Math.max(0, width - displayWidth(text)));
  return align === 'left' ? text + fill : fill + text;
}
