import { createInterface } from 'node:readline/promises';

/** True when a person can be asked: both stdin and stderr are a terminal. */
export const canAsk = () => Boolean(process.stdin.isTTY && process.stderr.isTTY);

/** Asks a yes/no question on the terminal; only `y` or `yes` is a yes. */
export async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}
