import { spawn } from 'node:child_process';
import { UploadFailedError } from '../errors.ts';
import type { BatchBody, Uploader } from './run.ts';

/**
 * The instance shipper talks to AWS through the AWS CLI, as Amazon Linux 2023 ships it: it finds
 * region, credentials (the instance role) and endpoint the usual way, and keeps the SDK out of the
 * bundle that user data carries.
 */

interface Outcome {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `aws ...args`, writing `stdin` to it when given. */
export function aws(args: readonly string[], stdin?: BatchBody): Promise<Outcome> {
  return new Promise((done) => {
    const child = spawn('aws', args, { stdio: [stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', (error) => done({ code: null, stdout, stderr: `${stderr}${error.message}` }));
    child.on('close', (code) => done({ code, stdout, stderr }));
    if (stdin && child.stdin) {
      // An aws that exits early closes its stdin; its exit status, not EPIPE, says what happened.
      child.stdin.on('error', () => undefined);
      const body = stdin.open();
      body.on('error', (error) => child.stdin?.destroy(error));
      body.pipe(child.stdin);
    }
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Uploads with `aws s3 cp - s3://bucket/key`, streaming the batch on stdin, up to `attempts` times
 * with a doubling delay between tries.
 */
export function awsCliUploader(opts: {
  readonly bucket: string;
  readonly attempts: number;
  readonly retryDelaySec: number;
  readonly log: (line: string) => void;
}): Uploader {
  return async (key, body) => {
    let delay = opts.retryDelaySec;
    for (let attempt = 1; ; attempt++) {
      const res = await aws(
        [
          's3',
          'cp',
          '--only-show-errors',
          '--no-progress',
          '--expected-size',
          String(body.length),
          '-',
          `s3://${opts.bucket}/${key}`,
        ],
        body,
      );
      if (res.code === 0) return;
      const why = res.stderr.trim().split('\n').at(-1) ?? `exit ${res.code}`;
      if (attempt >= opts.attempts) {
        throw new UploadFailedError(
          `upload of s3://${opts.bucket}/${key} failed after ${attempt} tries: ${why}`,
        );
      }
      opts.log(`upload failed (try ${attempt} of ${opts.attempts}): ${why}; next try in ${delay}s`);
      await sleep(delay * 1000);
      delay *= 2;
    }
  };
}

/** This session's `aws:userid` (for an instance role, `ROLE_ID:INSTANCE_ID`), asked of STS. */
export async function callerUserId(): Promise<string> {
  const res = await aws(['sts', 'get-caller-identity', '--query', 'UserId', '--output', 'text']);
  if (res.code !== 0) throw new Error(res.stderr.trim() || `aws exited ${res.code}`);
  return res.stdout.trim();
}
