import { createHash } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import type { ObservedFile } from './observed.ts';

const CHUNK = 1024 * 1024;

/**
 * Reads bytes [start, end) of a log from the file the scan saw (decompressing a gzip), handing
 * each chunk to `sink`, and returns their SHA-256. Returns undefined when the file is no longer
 * that file (another inode at the path) or no longer holds the whole range: the caller then drops
 * what the sink was given and does not count the range as sent.
 */
export async function readRange(
  file: ObservedFile,
  start: number,
  end: number,
  sink: (chunk: Buffer) => void,
): Promise<string | undefined> {
  let fh: Awaited<ReturnType<typeof open>>;
  try {
    fh = await open(file.path, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  const hash = createHash('sha256');
  let got = 0;
  const take = (chunk: Buffer) => {
    hash.update(chunk);
    sink(chunk);
    got += chunk.length;
  };
  try {
    const st = await fh.stat();
    if (!st.isFile() || st.dev !== file.dev || st.ino !== file.ino) return undefined;
    if (!file.gzip) {
      for (let at = start; at < end; ) {
        const buf = Buffer.alloc(Math.min(CHUNK, end - at));
        const { bytesRead } = await fh.read(buf, 0, buf.length, at);
        if (bytesRead === 0) break;
        take(buf.subarray(0, bytesRead));
        at += bytesRead;
      }
    } else {
      const raw = fh.createReadStream({ start: 0, autoClose: false });
      try {
        let offset = 0;
        for await (const chunk of raw.pipe(createGunzip()) as AsyncIterable<Buffer>) {
          const from = Math.max(start - offset, 0);
          const to = Math.min(end - offset, chunk.length);
          if (to > from) take(chunk.subarray(from, to));
          offset += chunk.length;
          if (offset >= end) break;
        }
      } finally {
        raw.destroy();
      }
    }
  } catch {
    return undefined;
  } finally {
    await fh.close();
  }
  return got === end - start ? hash.digest('hex') : undefined;
}
