import { describe, expect, it } from 'vitest';
import { type Admission, admitJob, refusalFor } from '#shared/archive/admit-job.ts';
import { parseArchiveJob } from '#shared/archive/archive-record.ts';
import type { ArchiveJob } from '#shared/archive/job.ts';
import { planIngest } from '#shared/ingest/plan-jobs.ts';
import { policies } from '#shared/policies.ts';
import { s3Notification } from '../../helpers/events.ts';

const config = { ingestBucket: 'lv-ingest', archiveBucket: 'lv-archive', policies };
const eventTime = '2026-11-24T10:15:02.123Z';
const job = (over: Partial<ArchiveJob> = {}): ArchiveJob => ({
  bucket: 'lv-ingest',
  key: 'web/app.log',
  eventTime,
  ...over,
});
const admitted = (a: Admission) => ('admitted' in a ? a.admitted : undefined);
const refused = (a: Admission) => ('refused' in a ? a.refused : undefined);

describe('admitJob: what the archive function acts on', () => {
  it.each([
    ['web/app/app.log', 'web', 'standard'],
    ['i-0abc123/var/log/messages', 'i-0abc123', 'instances'],
    ['AROAEXAMPLE:i-0abc123/var/log/messages', 'i-0abc123', 'instances'],
    ['audit-iam/events.json', 'audit-iam', 'audit'],
    ['debug-api/trace.log', 'debug-api', 'debug'],
    ['db-main/pg.log', 'db-main', 'db-backups'],
    ['stray.log', '_unsourced', 'standard'],
  ])(
    'admits %s from the ingest bucket, with the source and policy its key resolves to',
    (key, source, policy) => {
      const a = admitted(admitJob(job({ key }), config));
      expect(a?.source).toBe(source);
      expect(a?.policy.name).toBe(policy);
    },
  );

  it('keeps the object it names and drops the hints', () => {
    const a = admitted(
      admitJob(
        job({
          key: 'audit-iam/e.json',
          versionId: 'v1',
          eTag: '"e"',
          size: 7,
          source: 'audit-iam',
          policy: 'audit',
        }),
        config,
      ),
    );
    expect(a).toEqual({
      bucket: 'lv-ingest',
      key: 'audit-iam/e.json',
      versionId: 'v1',
      eTag: '"e"',
      size: 7,
      eventTime,
      source: 'audit-iam',
      policy: expect.objectContaining({ name: 'audit' }),
    });
  });

  it.each([
    ['an existing archive', 'archive/web/2026-11-24/app.log.0123456789abcdef.lv'],
    ["the sweeper's state", '_logvault/sweeper/state.json'],
    ['an expiry index entry', 'expiry/2027-02-23/archive/web/2026-11-24/app.log.0123456789abcdef.lv'],
    ['an ordinary-looking key', 'web/app.log'],
  ])('refuses a job naming the archive bucket, for %s', (_what, key) => {
    expect(refused(admitJob(job({ bucket: 'lv-archive', key }), config))).toMatchObject({
      reason: 'archive-bucket',
      message: 'archive job names the archive bucket, not the ingest bucket',
    });
  });

  it('refuses a job naming any other bucket, before looking at its key', () => {
    for (const key of ['web/app.log', 'archive/x/2026-11-24/y.0123456789abcdef.lv'])
      expect(refused(admitJob(job({ bucket: 'someone-elses-logs', key }), config))?.reason).toBe(
        'foreign-bucket',
      );
  });

  it.each([
    'archive/web/2026-11-24/app.log.0123456789abcdef.lv',
    'expiry/2027-02-23/archive/web/x',
    '_logvault/sweeper/state.json',
    '_logvault/reports/sweep/x.json',
  ])('refuses the reserved key %s in the ingest bucket too', (key) => {
    expect(refused(admitJob(job({ key }), config))?.reason).toBe('reserved-key');
  });

  it.each(['archive', 'archived/app.log', 'Archive/app.log', 'expiry.log', '_logvaults/app.log'])(
    'admits %s: only the exact first segments are reserved',
    (key) => {
      expect(admitted(admitJob(job({ key }), config))).toBeDefined();
    },
  );

  it('admits a source hint that agrees, and refuses one that does not', () => {
    expect(admitted(admitJob(job({ key: 'web/a.log', source: 'web' }), config))).toBeDefined();
    expect(refused(admitJob(job({ key: 'web/a.log', source: 'audit-iam' }), config))).toMatchObject({
      reason: 'source-mismatch',
      message: "archive job names another source than its key's (web)",
    });
  });

  it('admits a policy hint that agrees, and refuses one that does not, naming only the policy it resolved', () => {
    expect(admitted(admitJob(job({ key: 'audit-iam/a.log', policy: 'audit' }), config))).toBeDefined();
    for (const hint of ['debug', 'standard', 'no-such-policy']) {
      const r = refused(admitJob(job({ key: 'audit-iam/a.log', policy: hint }), config));
      expect(r?.reason, hint).toBe('policy-mismatch');
      expect(r?.message, hint).toBe('archive job names another policy than its key resolves to (audit)');
    }
  });

  it('admits every job the ingest function plans for its own bucket', () => {
    for (const key of ['web/a b+c.log', 'i-0abc/var/log/messages', 'audit-x/e.json', 'stray.log']) {
      const { jobs } = planIngest(s3Notification('lv-ingest', key), 'lv-ingest');
      for (const planned of jobs)
        expect(admitted(admitJob(parseArchiveJob(JSON.stringify(planned)), config))?.key).toBe(key);
    }
  });
});

describe('archive jobs in the queue', () => {
  it('parses the new shape, without source or policy', () => {
    expect(parseArchiveJob(JSON.stringify(job()))).toEqual(job());
  });

  it('still parses jobs queued in the old shape, with source and policy', () => {
    const old = job({ source: 'web', policy: 'standard', versionId: 'v', eTag: 'e', size: 1 });
    expect(parseArchiveJob(JSON.stringify(old))).toEqual(old);
    expect(admitted(admitJob(old, config))?.policy.name).toBe('standard');
  });
});

describe('refusalFor: what the ingest function turns into jobs', () => {
  it('without an archive bucket to tell apart, refuses every other bucket as foreign', () => {
    expect(
      refusalFor({ bucket: 'lv-archive', key: 'web/a.log' }, { ingestBucket: 'lv-ingest' })?.reason,
    ).toBe('foreign-bucket');
    expect(
      refusalFor({ bucket: 'lv-ingest', key: 'web/a.log' }, { ingestBucket: 'lv-ingest' }),
    ).toBeUndefined();
  });
});
