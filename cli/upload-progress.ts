import { Readable, Transform } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';

type Body = unknown;

/** Bytes of a body the SDK holds in memory (a multipart part), or undefined for a stream. */
function bufferedLength(body: Body): number | undefined {
  if (typeof body === 'string') return Buffer.byteLength(body);
  if (ArrayBuffer.isView(body)) return body.byteLength;
  return undefined;
}

/**
 * Reports the bytes of every request body this S3 client sends, as they leave: streamed bodies
 * (a single PUT of up to 5 GiB) chunk by chunk, in-memory parts of a multipart upload once each
 * part is sent. It runs last before the HTTP handler, after signing, so it changes nothing that
 * is signed or checksummed.
 */
export function reportUploadedBytes(s3: S3Client, onBytes: (n: number) => void): void {
  s3.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { body?: Body };
      const body = request?.body;
      if (body instanceof Readable) {
        request.body = body.pipe(
          new Transform({
            transform(chunk: Buffer, _encoding, done) {
              onBytes(chunk.length);
              done(null, chunk);
            },
          }),
        );
        body.on('error', (error) => (request.body as Transform).destroy(error));
        return next(args);
      }
      const length = bufferedLength(body);
      const result = await next(args);
      if (length) onBytes(length);
      return result;
    },
    { step: 'finalizeRequest', priority: 'low', name: 'logvaultUploadProgress' },
  );
}
