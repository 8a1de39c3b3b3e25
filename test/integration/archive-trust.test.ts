import {
  CreateBucketCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCloud } from '#local/cloud.ts';
import { parseArchiveKey, splitSourceKey } from '#shared/archive/layout.ts';
import { listArchives } from '#shared/archive/list.ts';
import { policies } from '#shared/policies.ts';
import { resolvePolicy } from '#shared/policy/index.ts';
import { STATE_KEY } from '#shared/sweep/state.ts';
import { listKeys, queueDepth } from '../helpers/archive.ts';
import { type CapturedOutput, captureOutput } from '../helpers/capture-logs.ts';
import { ARCHIVE_ALONE, eventually, freshCloud } from '../helpers/cloud.ts';
import { readDeadLetters } from '../helpers/dead-letters.ts';
import { s3Notification } from '../helpers/events.ts';
import { pauseNotifications } from '../helpers/notifications.ts';

/**
 * Messages on the queues are not trusted: a forged archive job or S3 notification that names
 * anything but an object of the ingest bucket, under a source name of its own and the policy its
 * key resolves to, is refused before anything is read. It goes to its queue's dead-letter queue
 * after one receive, with its reason, is logged, and leaves every archive, every source and the
 * sweeper's state as they were.
 */

const OTHER_BUCKET = 'lv-someone-elses-logs';
let cloud: LocalCloud;
let s3: S3Client;
let sqs: SQSClient;
let logs: CapturedOutput;
let ingest: string;
let archive: string;

/** Every object version and delete marker in the stack's buckets and the other one. */
async function everything(): Promise<string[]> {
  const rows: string[] = [];
  for (const Bucket of [ingest, archive, OTHER_BUCKET]) {
    const res = await s3.send(new ListObjectVersionsCommand({ Bucket }));
    expect(res.IsTruncated, Bucket).toBeFalsy();
    for (const v of res.Versions ?? []) rows.push(`${Bucket} ${v.Key} ${v.VersionId} ${v.ETag}`);
    for (const m of res.DeleteMarkers ?? []) rows.push(`${Bucket} ${m.Key} ${m.VersionId} delete-marker`);
  }
  return rows.sort();
}

const pipelineQueues = () => [
  cloud.outputs.IngestQueueUrl as string,
  cloud.outputs.ArchiveQueueUrl as string,
];

/** Waits until nothing is queued or in flight in the ingest and archive queues. */
async function drained(): Promise<void> {
  await eventually(async () => {
    const depths = await Promise.all(pipelineQueues().map((q) => queueDepth(sqs, q)));
    return depths.every((d) => d === 0) ? true : undefined;
  }, 'the ingest and archive queues to drain');
}

type Queue = 'ingest' | 'archive';
const queueUrl = (q: Queue) => cloud.outputs[q === 'ingest' ? 'IngestQueueUrl' : 'ArchiveQueueUrl'] as string;
const dlqUrl = (q: Queue) =>
  cloud.outputs[q === 'ingest' ? 'IngestDeadLetterQueueUrl' : 'ArchiveDeadLetterQueueUrl'] as string;

/**
 * Sends a forged message to a queue, lets the pipeline handle it, and checks it was refused for
 * `reason`: nothing anywhere changed, and it is in the dead-letter queue after one receive, with
 * its body unchanged, and logged once.
 */
async function expectRefused(queue: Queue, body: string, reason: string): Promise<void> {
  const before = await everything();
  const sent = await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl(queue), MessageBody: body }));
  const messageId = sent.MessageId as string;
  await drained();
  expect(await everything()).toEqual(before);
  const letters = await readDeadLetters(sqs, [dlqUrl(queue)], { take: true });
  const letter = letters.find((l) => l.note?.messageId === messageId);
  expect(letter?.body).toBe(body);
  expect(letter?.note).toMatchObject({ reason, receiveCount: 1, error: expect.any(String) });
  const logged = logs.records().filter((r) => r.message === 'message refused' && r.messageId === messageId);
  expect(logged).toEqual([expect.objectContaining({ reason })]);
  expect(JSON.stringify(logged)).not.toContain(body);
}

/**
 * A forged archive job. Unless told otherwise it names the source and policy its key resolves to,
 * as jobs of earlier versions did, so that nothing but the rule under test can refuse it.
 */
function job(bucket: string, key: string, hints: { source?: string; policy?: string } = {}): string {
  const { source } = splitSourceKey(key);
  const { policy } = resolvePolicy(policies, { source });
  return JSON.stringify({
    bucket,
    key,
    source,
    policy: policy.name,
    ...hints,
    eventTime: new Date().toISOString(),
  });
}

/** A forged S3 notification: the object's latest version, as a notification without a version id names it. */
function notification(bucket: string, key: string): string {
  const body = JSON.parse(s3Notification(bucket, key)) as {
    Records: { s3: { object: Record<string, unknown> } }[];
  };
  for (const record of body.Records) {
    delete record.s3.object.versionId;
    delete record.s3.object.eTag;
    delete record.s3.object.size;
  }
  return JSON.stringify(body);
}

/** Archive keys of the logs archived through the pipeline before any forged message, by ingest key. */
const archived: Record<string, string> = {};
/** Where each test's forged message points: an object of its own, so that on a pipeline that obeyed
 * the forgeries, each test would still find its target in place. */
const WEB_LOGS = ['web/a.log', 'web/b.log', 'web/c.log'];
const AUDIT_LOGS = ['audit-trail/a.log', 'audit-trail/b.log'];
const THEIRS = ['web/theirs-1.log', 'web/theirs-2.log'];
const PLANTED = [
  'archive/web/2026-11-24/planted.lv',
  'expiry/2026-11-24/planted',
  STATE_KEY,
  '_logvault/reports/sweep/planted.json',
];

beforeAll(async () => {
  // The forgeries name v1 archives; admission is the same for packed jobs (packing.test.ts).
  cloud = await freshCloud(ARCHIVE_ALONE);
  s3 = new S3Client({ forcePathStyle: true });
  sqs = new SQSClient({});
  ingest = cloud.outputs.IngestBucketName as string;
  archive = cloud.outputs.ArchiveBucketName as string;
  logs = captureOutput();

  await s3.send(new CreateBucketCommand({ Bucket: OTHER_BUCKET }));
  for (const key of THEIRS)
    await s3.send(new PutObjectCommand({ Bucket: OTHER_BUCKET, Key: key, Body: 'not ours\n' }));
  // Archived through the pipeline: standard logs (their sources deleted) and audit logs (kept, locked).
  for (const key of [...WEB_LOGS, ...AUDIT_LOGS])
    await s3.send(new PutObjectCommand({ Bucket: ingest, Key: key, Body: `${key}\n` }));
  for (const source of ['web', 'audit-trail']) {
    await eventually(async () => {
      const entries = [];
      for await (const e of listArchives(s3, archive, { source })) entries.push(e);
      for (const e of entries) {
        const parsed = parseArchiveKey(e.archiveKey);
        if (parsed) archived[`${parsed.source}/${parsed.relative}`] = e.archiveKey;
      }
      return entries.length === 2 + Number(source === 'web') ? true : undefined;
    }, `the ${source} logs archived`);
  }
  // Objects at reserved keys in the ingest bucket, put there while nothing acts on notifications.
  const resume = await pauseNotifications(s3, ingest);
  for (const key of PLANTED)
    await s3.send(new PutObjectCommand({ Bucket: ingest, Key: key, Body: 'planted\n' }));
  await resume();
  await cloud.fireSchedule('SweepLambdaFunction');
  await drained();

  await s3.send(new HeadObjectCommand({ Bucket: archive, Key: STATE_KEY }));
  expect(await listKeys(s3, ingest, 'web/')).toEqual([]);
  expect(await listKeys(s3, ingest, 'audit-trail/')).toEqual(AUDIT_LOGS);
  expect(Object.keys(archived).sort()).toEqual([...AUDIT_LOGS, ...WEB_LOGS].sort());
});
afterAll(async () => {
  logs?.stop();
  await cloud?.stop();
});

/** The expiry index entry of an archive. */
async function indexEntryOf(archiveKey: string): Promise<string> {
  const [entry] = (await listKeys(s3, archive, 'expiry/')).filter((k) => k.endsWith(`/${archiveKey}`));
  if (!entry) throw new Error(`no expiry index entry for ${archiveKey}`);
  return entry;
}

describe('forged archive jobs are refused, dead-lettered at once and logged, and change nothing', () => {
  it.each([
    ['an existing archive', async () => archived['web/a.log'] as string],
    ["the sweeper's state", async () => STATE_KEY],
    ['an expiry index entry', () => indexEntryOf(archived['web/b.log'] as string)],
  ])('an archive job naming the archive bucket is refused (%s)', async (_what, key) => {
    await expectRefused('archive', job(archive, await key()), 'archive-bucket');
  });

  it('an archive job naming a bucket other than the ingest bucket is refused', async () => {
    await expectRefused('archive', job(OTHER_BUCKET, THEIRS[0] as string), 'foreign-bucket');
  });

  it.each(PLANTED.slice(0, 3))(
    'an archive job naming a reserved key in the ingest bucket is refused (%s)',
    async (key) => {
      await expectRefused('archive', job(ingest, key), 'reserved-key');
    },
  );

  it('an archive job whose policy hint disagrees with its key is refused', async () => {
    // What "debug" would do to an audit log: a 7-day expiry, no Object Lock, the source deleted.
    await expectRefused(
      'archive',
      job(ingest, AUDIT_LOGS[0] as string, { source: 'audit-trail', policy: 'debug' }),
      'policy-mismatch',
    );
  });

  it('an archive job whose source hint disagrees with its key is refused', async () => {
    await expectRefused(
      'archive',
      job(ingest, AUDIT_LOGS[1] as string, { source: 'web', policy: 'standard' }),
      'source-mismatch',
    );
  });
});

describe('forged S3 notifications are refused, dead-lettered at once and logged, and change nothing', () => {
  it('an S3 notification naming a bucket other than the ingest bucket is refused', async () => {
    await expectRefused('ingest', notification(OTHER_BUCKET, THEIRS[1] as string), 'foreign-bucket');
  });

  it('an S3 notification naming the archive bucket is refused', async () => {
    await expectRefused('ingest', notification(archive, archived['web/c.log'] as string), 'foreign-bucket');
  });

  it('an S3 notification naming a reserved key in the ingest bucket is refused', async () => {
    await expectRefused('ingest', notification(ingest, PLANTED[3] as string), 'reserved-key');
  });
});
