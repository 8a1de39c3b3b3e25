/** What the process wrote to stdout and stderr while capturing; Powertools writes its JSON logs there. */
export interface CapturedOutput {
  text(): string;
  /** The lines that are JSON objects (structured logs and EMF metrics). */
  records(): Record<string, unknown>[];
  stop(): void;
}

/**
 * Captures (and silences) everything written to stdout and stderr until stopped. Powertools'
 * logger writes through its own Console bound to the process streams, so console spies miss it.
 */
export function captureOutput(): CapturedOutput {
  const chunks: string[] = [];
  const originals = { out: process.stdout.write, err: process.stderr.write };
  const grab = (chunk: unknown, ...rest: unknown[]): boolean => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
    const done = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
    done?.();
    return true;
  };
  process.stdout.write = grab as typeof process.stdout.write;
  process.stderr.write = grab as typeof process.stderr.write;
  return {
    text: () => chunks.join(''),
    records: () =>
      chunks
        .join('')
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .flatMap((l) => {
          try {
            return [JSON.parse(l) as Record<string, unknown>];
          } catch {
            return [];
          }
        }),
    stop() {
      process.stdout.write = originals.out;
      process.stderr.write = originals.err;
    },
  };
}
