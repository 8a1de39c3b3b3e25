import { displayWidth, padToWidth } from './display-width.ts';

export { displayWidth } from './display-width.ts';
export { CliError, usageError } from './errors.ts';
export { INSTANT_FORMATS, type InstantRange, parseInstant, parseRange } from './instants.ts';

/** Prints rows as a table aligned in terminal columns (stdout); numeric columns align right. */
export function printTable(headers: string[], rows: (string | number)[][]): void {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => displayWidth(r[i] ?? ''))));
  for (const row of cells) {
    const line = row
      .map((c, i) => padToWidth(c, widths[i] ?? 0, typeof rows[0]?.[i] === 'number' ? 'right' : 'left'))
      .join('  ')
      .trimEnd();
    process.stdout.write(`${line}\n`);
  }
}

let jsonDocuments = 0;

/**
 * Prints the command's one JSON document on stdout. With `--json`, stdout holds exactly one
 * document; main.ts prints `{"error": ...}` instead when a command fails before printing one.
 */
export function printJson(value: unknown): void {
  jsonDocuments += 1;
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** True once a command has printed its JSON document. */
export const printedJson = () => jsonDocuments > 0;

export function humanBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u += 1;
  }
  return `${u === 0 ? v : v.toFixed(1)} ${units[u]}`;
}

/**
 * Compression ratio as every table prints it: original over archived size, two decimals, `×`
 * (`7.01×`, `0.93×` for a file that grew). An empty original has no ratio: `—`.
 */
export function formatRatio(originalBytes: number, archivedBytes: number): string {
  if (originalBytes <= 0 || archivedBytes <= 0) return '—';
  return `${(originalBytes / archivedBytes).toFixed(2)}×`;
}

export interface ProgressState {
  readonly label: string;
  readonly done: number;
  /** Items in all, when known. */
  readonly total?: number;
  readonly detail?: string;
  /** Bytes so far, when the work is counted in bytes. */
  readonly bytes?: number;
  readonly totalBytes?: number;
  readonly elapsedMs: number;
}

/** One progress line: `shipping 1/3 huge.log  512.0 MiB of 1.0 GiB, 85.3 MiB/s`. */
export function progressLine(s: ProgressState): string {
  const count = s.total === undefined ? '' : ` ${s.done}/${s.total}`;
  const head = `${s.label}${count}${s.detail ? ` ${s.detail}` : ''}`;
  if (s.bytes === undefined) return head;
  const of = s.totalBytes === undefined ? '' : ` of ${humanBytes(s.totalBytes)}`;
  const rate = s.elapsedMs > 0 ? `, ${humanBytes(Math.round((s.bytes / s.elapsedMs) * 1000))}/s` : '';
  return `${head}${s.total === undefined ? ' ' : '  '}${humanBytes(s.bytes)}${of}${rate}`;
}

export interface Progress {
  /** An item starts (its name is shown while it runs). */
  start(detail: string): void;
  /** `n` more bytes have been transferred. */
  bytes(n: number): void;
  /** An item is finished. */
  tick(detail?: string): void;
  done(): void;
}

const REDRAW_MS = 100;

/**
 * Progress on stderr, so stdout stays clean for data and --json. Only on a terminal: when stderr
 * is a file or a pipe it prints nothing. `total` counts items (undefined: not known ahead);
 * with `bytes`, the line also shows the bytes so far (of `totalBytes`, when known) and the rate.
 */
export function progress(
  total: number | undefined,
  label: string,
  opts: { bytes?: boolean; totalBytes?: number } = {},
): Progress {
  const tty = Boolean(process.stderr.isTTY);
  const started = Date.now();
  let done = 0;
  let bytes = 0;
  let detail: string | undefined;
  let drawn = 0;
  const draw = (force: boolean) => {
    if (!tty || (!force && Date.now() - drawn < REDRAW_MS)) return;
    drawn = Date.now();
    const line = progressLine({
      label,
      done,
      elapsedMs: drawn - started,
      ...(total === undefined ? {} : { total }),
      ...(detail ? { detail } : {}),
      ...(opts.bytes || opts.totalBytes !== undefined ? { bytes } : {}),
      ...(opts.totalBytes === undefined ? {} : { totalBytes: opts.totalBytes }),
    });
    process.stderr.write(`\r${line}\x1b[K`);
  };
  return {
    start(name) {
      detail = name;
      draw(true);
    },
    bytes(n) {
      bytes += n;
      draw(false);
    },
    tick(name) {
      done += 1;
      if (name) detail = name;
      draw(true);
    },
    done() {
      if (drawn === 0) return;
      draw(true);
      process.stderr.write('\n');
    },
  };
}
