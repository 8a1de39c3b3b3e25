import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { RECORD_DIR_ENV } from '#shared/clients/call-recorder.ts';
import {
  describeCall,
  missingFrom,
  normalise,
  readRecordedCalls,
  readRecording,
  recordedCallsFile,
  writeRecordedCalls,
} from './calls.ts';

/** Set to 1 to rewrite test/iam/recorded-calls.json from what the run recorded. */
export const UPDATE_ENV = 'LOGVAULT_UPDATE_IAM_CALLS';
export const recordingDir = resolve(import.meta.dirname, '../../.logvault/aws-calls');

/** Starts a fresh recording; every process started from here on (workers, `logvault dev`, the CLI) records into it. */
export function startRecording(): void {
  rmSync(recordingDir, { recursive: true, force: true });
  process.env[RECORD_DIR_ENV] = recordingDir;
}

/**
 * Compares what the run recorded with the reviewed file. A call the file lacks fails the run,
 * since the IAM check (`npm run test:iam`) evaluates only the file. With LOGVAULT_UPDATE_IAM_CALLS=1
 * the file is rewritten instead: from the recording alone after a run of every file, merged with
 * what it held after a partial one.
 */
export function settleRecording(opts: { completeRun: boolean }): string {
  const recorded = readRecording(recordingDir);
  const known = readRecordedCalls();
  if (process.env[UPDATE_ENV] === '1') {
    const next = normalise(opts.completeRun ? recorded : [...known, ...recorded]);
    writeRecordedCalls(next);
    const added = missingFrom(known, next).length;
    const dropped = missingFrom(next, known).length;
    return `test/iam/recorded-calls.json rewritten: ${next.length} calls (${added} new, ${dropped} gone)`;
  }
  const missing = missingFrom(known, recorded);
  if (missing.length) {
    const lines = missing.map((c) => `  ${c.principal}: ${describeCall(c)}`);
    throw new Error(
      `The functions made AWS calls that ${recordedCallsFile} lacks, so the IAM check never evaluated them:\n${lines.join('\n')}\n` +
        'Review them, then record them with `npm run iam:record` (or LOGVAULT_UPDATE_IAM_CALLS=1 on this run) and run `npm run test:iam`.',
    );
  }
  return `${recorded.length} recorded AWS calls, all in test/iam/recorded-calls.json`;
}
