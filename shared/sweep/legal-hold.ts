import { PutObjectLegalHoldCommand, type S3Client } from '@aws-sdk/client-s3';

/**
 * Sets or clears an S3 Object Lock legal hold on an archive's current version. A held archive is
 * never deleted by the sweeper (nor by anyone), whatever its expiry, until the hold is released.
 */
export async function setLegalHold(
  s3: S3Client,
  bucket: string,
  archiveKey: string,
  on: boolean,
): Promise<void> {
  await s3.send(
    new PutObjectLegalHoldCommand({
      Bucket: bucket,
      Key: archiveKey,
      LegalHold: { Status: on ? 'ON' : 'OFF' },
    }),
  );
}
