/**
 * Streams `--bytes=N` of generated logs to stdout (repeating one seeded block, see cyclicCorpus),
 * after printing `ready` on stderr once the block is built, so the consumer's clock starts on data.
 */
import { once } from 'node:events';
import { BLOCK_BYTES, corpusBuffer, cyclicCorpus } from './corpus.ts';

const bytes = Number(process.argv.find((a) => a.startsWith('--bytes='))?.slice(8));
if (!Number.isSafeInteger(bytes) || bytes <= 0) throw new Error('usage: generate.ts --bytes=N');
const block = corpusBuffer(Math.min(bytes, BLOCK_BYTES));
process.stderr.write('ready\n');
for (const chunk of cyclicCorpus(bytes, block)) {
  if (!process.stdout.write(chunk)) await once(process.stdout, 'drain');
}
