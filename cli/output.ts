/** Prints rows as an aligned table (stdout). */
export function printTable(headers: string[], rows: (string | number)[][]): void {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  for (const row of cells) {
    process.stdout.write(
      `${row
        .map((c, i) =>
          typeof rows[0]?.[i] === 'number' ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0),
        )
        .join('  ')
        .trimEnd()}\n`,
    );
  }
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Progress on stderr, so stdout stays clean for data and --json. Quiet when stderr is not a terminal. */
export function progress(total: number, label: string): { tick(detail?: string): void; done(): void } {
  let n = 0;
  const tty = process.stderr.isTTY;
  return {
    tick(detail) {
      n += 1;
      if (tty) process.stderr.write(`\r${label} ${n}/${total}${detail ? ` ${detail}` : ''}\x1b[K`);
    },
    done() {
      if (tty && total > 0) process.stderr.write('\n');
    },
  };
}

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

/** Failure the CLI reports as one clear line and a non-zero exit. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

export function parseInstant(value: string | undefined, flag: string): Date | undefined {
  if (value === undefined) return undefined;
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new CliError(`${flag}: not an ISO date or time: ${JSON.stringify(value)}`, 2);
  return new Date(t);
}
