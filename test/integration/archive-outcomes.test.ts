import { randomBytes } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCloud } from '#local/cloud.ts';
import type { LocalFunction } from '#local/functions.ts';
import { archiveObject } from '#shared/archive/archive-object.ts';
import { listArchives } from '#shared/archive/list.ts';
import { fromS3Metadata } from '#shared/archive/metadata.ts';
import { MULTIPART_SOURCE_BYTES } from '#shared/archive/upload.ts';
import { archiveDeps, listKeys } from '../helpers/archive.ts';
import { ARCHIVE_ALONE, freshCloud } from '../helpers/cloud.ts';
import { sqsEvent, sqsRecord } from '../helpers/events.ts';

// Nothing polls the queues: every job here is one the test hands to the archive core or function.
let cloud: LocalCloud;
let s3: S3Client;
let ingest: string;
let archive: string;
let archiveFn: LocalFunction;

beforeAll(async () => {
  // What v1 archives do: every object archived alone (packing.test.ts covers packs).
  cloud = await freshCloud({ ...ARCHIVE_ALONE, triggers: false });
  s3 = new S3Client({ forcePathStyle: true });
  ingest = cloud.outputs.IngestBucketName as string;
  archive = cloud.outputs.ArchiveBucketName as string;
  archiveFn = cloud.functions.functions.find((f) => f.logicalId === 'ArchiveLambdaFunction') as LocalFunction;
});
afterAll(() => cloud?.stop());

async function archivesOf(source: string) {
  const entries = [];
  for await (const e of listArchives(s3, archive, { source })) entries.push(e);
  return entries;
}

/** Every version of every archive object of a source. */
async function archiveVersions(source: string): Promise<string[]> {
  const res = await s3.send(new ListObjectVersionsCommand({ Bucket: archive, Prefix: `archive/${source}/` }));
  return (res.Versions ?? []).map((v) => `${v.Key} ${v.VersionId}`);
}

/** Opens once `count` calls have arrived at it. */
function gate(count: number) {
  let arrived = 0;
  let open: () => void = () => undefined;
  const passed = new Promise<void>((resolve) => {
    open = resolve;
  });
  return {
    passed,
    arrive() {
      arrived += 1;
      if (arrived >= count) open();
    },
  };
}

/**
 * How the losing duplicate's multipart upload ends: its completion meets the winner's object, or
 * the winner, once complete, aborts it as a leftover (what abortLeftoverUploads does) while its
 * parts are still going up.
 */
type Finish = 'completes after the winner' | 'is aborted by the winner';

/**
 * An S3 client for duplicate deliveries that race. Its first HEADs of the archive bucket wait
 * until every party has made one, so each has looked for the archive, and found none, before any
 * writes. Then the uploads end as `finish` says. (S3 decides a conditional write atomically; moto
 * checks the condition before it assembles the parts, so two completions at the same instant
 * could both pass its check: completions take turns here.)
 */
function racingClient(parties: number, finish: Finish): { client: S3Client; aborts: () => number } {
  const looked = gate(parties);
  const created = gate(parties);
  const aborted = gate(1);
  const uploads: string[] = [];
  let heads = 0;
  let aborts = 0;
  let completing: Promise<unknown> = Promise.resolve();
  const client = new Proxy(s3, {
    get(target, prop, receiver) {
      if (prop !== 'send') return Reflect.get(target, prop, receiver);
      return async (command: Parameters<S3Client['send']>[0]) => {
        const send = () => target.send(command as HeadObjectCommand) as Promise<unknown>;
        if (command instanceof HeadObjectCommand && command.input.Bucket === archive && heads++ < parties) {
          looked.arrive();
          await looked.passed;
        } else if (command instanceof CreateMultipartUploadCommand) {
          const answer = (await send()) as { UploadId?: string };
          uploads.push(answer.UploadId ?? '');
          created.arrive();
          return answer;
        } else if (command instanceof UploadPartCommand) {
          // The later upload's parts wait for the winner to abort it.
          const later = uploads.indexOf(command.input.UploadId ?? '') > 0;
          if (finish === 'is aborted by the winner' && later) await aborted.passed;
        } else if (command instanceof AbortMultipartUploadCommand) {
          aborts += 1;
          return send().finally(() => aborted.arrive());
        } else if (command instanceof CompleteMultipartUploadCommand) {
          // Every upload is open by then, so the winner's clean-up finds the loser's.
          await created.passed;
          const turn = completing.then(send);
          completing = turn.catch(() => undefined);
          return turn;
        }
        return send();
      };
    },
  });
  return { client, aborts: () => aborts };
}

describe('duplicate deliveries of a log large enough for a multipart archive, racing past the existence check', () => {
  it.each([
    ['race-turn', 'completes after the winner'],
    ['race-abort', 'is aborted by the winner'],
  ] as const)(
    'give one archive version; both settle and the source is deleted (%s: the loser %s)',
    async (source, finish) => {
      const key = `${source}/big.bin`;
      // Random bytes do not compress: the archive stays over one 8 MiB part, so it is written multipart.
      const content = randomBytes(10 * 1024 * 1024);
      expect(content.length).toBeGreaterThan(MULTIPART_SOURCE_BYTES);
      await s3.send(new PutObjectCommand({ Bucket: ingest, Key: key, Body: content }));
      const racing = racingClient(2, finish);
      const deps = { ...archiveDeps(cloud, s3), s3: racing.client };
      const job = { bucket: ingest, key, eventTime: new Date().toISOString() };

      const outcomes = await Promise.all([archiveObject(job, deps), archiveObject(job, deps)]);

      expect(outcomes.map((o) => o.status).sort()).toEqual(['archived', 'duplicate']);
      if (finish === 'is aborted by the winner') expect(racing.aborts()).toBeGreaterThanOrEqual(1);
      const versions = await archiveVersions(source);
      expect(versions).toHaveLength(1);
      const archiveKey = versions[0]?.split(' ')[0] as string;
      const head = await s3.send(new HeadObjectCommand({ Bucket: archive, Key: archiveKey }));
      expect(head.ETag).toMatch(/-\d+"$/);
      expect(await listKeys(s3, archive, 'expiry/')).toContainEqual(expect.stringMatching(`/${archiveKey}$`));
      // The standard policy deletes the source once its archive exists.
      expect(await listKeys(s3, ingest, `${source}/`)).toEqual([]);
      expect((await s3.send(new ListMultipartUploadsCommand({ Bucket: archive }))).Uploads ?? []).toEqual([]);
    },
  );
});

describe("the policy decides what happens to an archived log's source", () => {
  const logs = {
    'audit-trail/events.json': { policy: 'audit', kept: true },
    'db-main/pg.log': { policy: 'db-backups', kept: true },
    'web-app/app.log': { policy: 'standard', kept: false },
    'debug-api/trace.log': { policy: 'debug', kept: false },
  } as const;

  beforeAll(async () => {
    for (const key of Object.keys(logs))
      await s3.send(new PutObjectCommand({ Bucket: ingest, Key: key, Body: `${key}\n`.repeat(100) }));
    const eventTime = new Date().toISOString();
    const jobs = Object.keys(logs).map((key, i) =>
      sqsRecord(JSON.stringify({ bucket: ingest, key, eventTime }), `job-${i}`),
    );
    expect(await archiveFn.invoke(sqsEvent(...jobs))).toEqual({ batchItemFailures: [] });
  });

  it.each(Object.entries(logs))('%s: archived under %o', async (key, want) => {
    const source = key.split('/')[0] as string;
    const entries = await archivesOf(source);
    expect(entries).toHaveLength(1);
    const head = await s3.send(new HeadObjectCommand({ Bucket: archive, Key: entries[0]?.archiveKey }));
    expect(fromS3Metadata(head.Metadata)).toMatchObject({ sourceKey: key, policy: want.policy });
    expect(await listKeys(s3, ingest, `${source}/`)).toEqual(want.kept ? [key] : []);
  });

  it('locks the audit archive, as its policy says', async () => {
    const [entry] = await archivesOf('audit-trail');
    const head = await s3.send(new HeadObjectCommand({ Bucket: archive, Key: entry?.archiveKey }));
    expect(head.ObjectLockMode).toBe('GOVERNANCE');
  });
});
