import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  appendFileSync,
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { CreateBucketCommand, PutBucketVersioningCommand, S3Client } from '@aws-sdk/client-s3';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { resetMoto } from '#local/moto.ts';
import { runShipper, type ShipperOutcome } from '#local/shipper.ts';
import { splitSourceKey } from '#shared/archive/layout.ts';
import { appendRecord } from '#shared/clients/call-recorder.ts';
import { SHIPPER_BUNDLE } from '#shared/provision/shipper-bundle.ts';
import { parseState, STATE_FILE, writeState } from '#shared/ship/state.ts';
import { batchesIn, reassemble, type StoredBatch, wholeLog } from '../helpers/batches.ts';
import { startFaultProxy } from '../helpers/fault-proxy.ts';
import { fileState, holdShipperLock } from '../helpers/files.ts';
import { proxyRecorder } from '../iam/proxy-recorder.ts';

// The instance shipper as an instance runs it: the bundle user data installs, under Node, with the
// AWS CLI (the project's, in .venv) against the emulator; logs rotated by the real logrotate.

const root = resolve(import.meta.dirname, '../..');
const BUCKET = 'logvault-test-ingest';
const LOGROTATE = '/usr/sbin/logrotate';

let endpoint: string;
let s3: S3Client;
const tmp = mkdtempSync(join(tmpdir(), 'logvault-shipper-'));

beforeAll(async () => {
  endpoint = inject('motoEndpoint');
  await resetMoto(endpoint);
  s3 = new S3Client({
    region: 'us-east-1',
    endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  // Versioning keeps every PUT visible, a second PUT of the same key included.
  await s3.send(
    new PutBucketVersioningCommand({ Bucket: BUCKET, VersioningConfiguration: { Status: 'Enabled' } }),
  );
});

afterAll(() => {
  s3?.destroy();
  rmSync(tmp, { recursive: true, force: true });
});

let hosts = 0;

/** A host of its own: a log directory (with a space in its name), a state directory and an instance id. */
function host(globs = ['*.log']) {
  hosts += 1;
  const instanceId = `i-${String(hosts).padStart(17, '0')}`;
  const dir = join(tmp, instanceId);
  const logs = join(dir, 'var log');
  mkdirSync(logs, { recursive: true });
  const stateDir = join(dir, 'state');
  const run = (env: Record<string, string> = {}, pathPrefix?: string): Promise<ShipperOutcome> =>
    runShipper({
      bundle: SHIPPER_BUNDLE,
      endpoint,
      region: 'us-east-1',
      ingestBucket: BUCKET,
      instanceId,
      logPaths: globs.map((g) => `${logs}/${g}`),
      stateDir,
      env,
      ...(pathPrefix ? { pathPrefix } : {}),
    });
  const ship = async () => {
    const outcome = await run();
    expect(outcome.code, outcome.stderr).toBe(0);
    return outcome;
  };
  const batches = () => batchesIn(s3, BUCKET, `${instanceId}/`);
  const rotate = (conf: string) => {
    const file = join(dir, 'logrotate.conf');
    writeFileSync(file, `"${logs}/app.log" {\n${conf}\n}\n`);
    execFileSync(LOGROTATE, ['-f', '-s', join(dir, 'logrotate.status'), file]);
  };
  return { instanceId, logs, app: join(logs, 'app.log'), stateDir, run, ship, batches, rotate, dir };
}

let lineNo = 0;
/** `n` lines, each unique in the whole run. */
const lines = (n: number, width = 60) =>
  Array.from({ length: n }, () => `${String(++lineNo).padStart(8, '0')} ${'x'.repeat(width)}\n`).join('');

/** Every line of `text` appears once in `sent`, and nothing else does. */
function expectEachLineOnce(sent: string, written: string): void {
  expect(sent.split('\n').sort()).toEqual(written.split('\n').sort());
  expect(new Set(sent.split('\n').filter(Boolean)).size).toBe(sent.split('\n').filter(Boolean).length);
}

describe('the instance shipper', () => {
  it('is logrotate here, the real one', () => {
    expect(() => execFileSync(LOGROTATE, ['--version'])).not.toThrow();
  });

  it('sends each appended byte once over many runs, one object per run at most, never touching the log', async () => {
    const h = host();
    let written = '';
    const objectsAfter: number[] = [];
    for (let run = 0; run < 10; run++) {
      // Runs of very different sizes, some ending in a line still being written.
      const text = lines(200 + 900 * (run % 4)) + (run % 3 === 0 ? `partial ${run} ` : '');
      appendFileSync(h.app, text);
      written += text;
      const before = fileState(h.app);
      await h.ship();
      expect(fileState(h.app)).toEqual(before);
      objectsAfter.push((await h.batches()).length);
    }
    appendFileSync(h.app, 'the end\n');
    written += 'the end\n';
    await h.ship();
    objectsAfter.push((await h.batches()).length);

    const batches = await h.batches();
    const perRun = objectsAfter.map((n, i) => n - (objectsAfter[i - 1] ?? 0));
    expect(Math.max(...perRun)).toBe(1);
    const uploaded = batches.reduce((n, b) => n + b.size, 0);
    expect(uploaded / Buffer.byteLength(written)).toBeLessThanOrEqual(1.02);
    const r = reassemble(batches);
    expect(r.repeats).toBe(0);
    expect(wholeLog(r, h.app)).toBe(written);
    expect(batches.every((b) => b.header.source === h.instanceId)).toBe(true);
  }, 300_000);

  it('loses and repeats nothing across a rename rotation (logrotate create), including lines written to the old file after it', async () => {
    const h = host();
    let written = lines(50);
    writeFileSync(h.app, written);
    await h.ship();
    const unsent = lines(40);
    appendFileSync(h.app, unsent);
    h.rotate('  rotate 5\n  create\n  nocompress');
    expect(statSync(`${h.app}.1`).size).toBeGreaterThan(0);
    // The application had not reopened its log yet: one more line lands in the renamed file.
    const late = lines(1);
    appendFileSync(`${h.app}.1`, late);
    const fresh = lines(30);
    appendFileSync(h.app, fresh);
    written += unsent + late + fresh;
    await h.ship();
    await h.ship();

    const r = reassemble(await h.batches());
    expect(r.logs[h.app]?.map((g) => g.closed)).toEqual([true, false]);
    expect(r.logs[h.app]?.[1]?.bytes.toString()).toBe(fresh);
    expect(wholeLog(r, h.app)).toBe(written);
    expect(Object.keys(r.logs)).toEqual([h.app]);
  });

  it('loses and repeats nothing across a copytruncate rotation', async () => {
    const h = host();
    let written = lines(50);
    writeFileSync(h.app, written);
    await h.ship();
    const tail = lines(25);
    appendFileSync(h.app, tail);
    const inode = statSync(h.app).ino;
    h.rotate('  rotate 5\n  copytruncate\n  nocompress');
    expect(statSync(h.app).ino).toBe(inode);
    expect(statSync(h.app).size).toBe(0);
    const after = lines(10);
    appendFileSync(h.app, after);
    written += tail + after;
    await h.ship();

    const r = reassemble(await h.batches());
    expect(r.logs[h.app]?.flatMap((g) => g.gaps)).toEqual([]);
    expect(wholeLog(r, h.app)).toBe(written);
    expect(r.distinctBytes).toBe(Buffer.byteLength(written));
  });

  it('never sends a compressed rotation of what it sent, and sends the tail only a gzip holds', async () => {
    const h = host();
    let written = lines(40);
    writeFileSync(h.app, written);
    await h.ship();
    // compress + delaycompress: app.log.1 stays plain for one rotation, then becomes app.log.2.gz.
    const delayed = '  rotate 5\n  create\n  compress\n  delaycompress';
    for (let i = 0; i < 2; i++) {
      const more = lines(30);
      appendFileSync(h.app, more);
      written += more;
      await h.ship();
      h.rotate(delayed);
      await h.ship();
    }
    expect(statSync(`${h.app}.2.gz`).size).toBeGreaterThan(0);
    const before = (await h.batches()).length;
    await h.ship();
    expect((await h.batches()).length - before).toBeLessThanOrEqual(1);

    // compress alone: the log is gzipped as it is rotated, with lines the shipper has not seen.
    const unseen = lines(20);
    appendFileSync(h.app, unseen);
    written += unseen;
    h.rotate('  rotate 5\n  create\n  compress');
    await h.ship();
    await h.ship();

    const r = reassemble(await h.batches());
    expect(r.repeats).toBe(0);
    expect(wholeLog(r, h.app)).toBe(written);
    expect(r.distinctBytes).toBe(Buffer.byteLength(written));
  });

  it('sends the same batch again, under the same key, after a crash between the upload and the state write', async () => {
    const h = host();
    const written = lines(100);
    writeFileSync(h.app, written);
    // An `aws` that kills the shipper the moment S3 has acknowledged the upload.
    const shim = join(h.dir, 'shim');
    mkdirSync(shim);
    writeFileSync(
      join(shim, 'aws'),
      `#!/bin/sh\n"${root}/.venv/bin/aws" "$@"\nstatus=$?\nif [ $status -eq 0 ] && [ "$1" = s3 ]; then kill -9 $PPID; fi\nexit $status\n`,
    );
    chmodSync(join(shim, 'aws'), 0o755);
    const crashed = await h.run({}, shim);
    expect(crashed.signal).toBe('SIGKILL');
    const afterCrash = await h.batches();
    expect(afterCrash).toHaveLength(1);

    const more = lines(10);
    appendFileSync(h.app, more);
    const again = await h.ship();
    expect(again.stderr).toContain('sent again');
    const batches = await h.batches();
    expect(batches.map((b) => b.key)).toEqual([afterCrash[0]?.key, afterCrash[0]?.key]);
    expect(batches[1]?.header).toEqual(afterCrash[0]?.header);

    await h.ship();
    const r = reassemble(await h.batches());
    expect(r.repeats).toBe(batches[0]?.segments.length);
    expect(wholeLog(r, h.app)).toBe(written + more);
    expectEachLineOnce(wholeLog(r, h.app), written + more);
  });

  it('reports unsent bytes of a deleted or truncated log as a gap with their range', async () => {
    const h = host();
    const gone = join(h.logs, 'gone.log');
    writeFileSync(gone, 'sent\nnever finished');
    writeFileSync(h.app, 'kept\nhalf a line');
    await h.ship();
    unlinkSync(gone);
    writeFileSync(h.app, '');
    appendFileSync(h.app, 'new\n');
    await h.ship();

    const r = reassemble(await h.batches());
    expect(r.logs[gone]?.[0]?.gaps).toEqual([
      { path: gone, generation: r.logs[gone]?.[0]?.generation, start: 5, end: 19, reason: 'deleted' },
    ]);
    expect(r.logs[h.app]?.[0]?.gaps).toEqual([
      expect.objectContaining({ start: 5, end: 16, reason: 'truncated' }),
    ]);
    expect(r.logs[h.app]?.map((g) => g.bytes.toString())).toEqual(['kept\n', 'new\n']);
  });

  it('takes a reused inode for a new generation', async () => {
    const h = host();
    writeFileSync(h.app, 'first file\n');
    await h.ship();
    const inode = statSync(h.app).ino;
    unlinkSync(h.app);
    // ext4 hands a freed inode to the next file; make sure this one got it.
    let reused = false;
    for (let i = 0; i < 50 && !reused; i++) {
      writeFileSync(h.app, 'second file, same inode\n');
      reused = statSync(h.app).ino === inode;
      if (!reused) writeFileSync(join(h.dir, `filler-${i}`), '');
      if (!reused) unlinkSync(h.app);
    }
    if (!reused) {
      // Some file systems (tmpfs, overlayfs) never reuse an inode number. Then the state is told
      // the first file had the new file's number: what the shipper sees is the same either way.
      writeFileSync(h.app, 'second file, same inode\n');
      const state = parseState(readFileSync(join(h.stateDir, STATE_FILE), 'utf8'));
      expect(state?.generations).toHaveLength(1);
      const [tracked] = state?.generations ?? [];
      if (!tracked) throw new Error('no state after the first run');
      const renumbered = { ...tracked, file: { ...tracked.file, ino: statSync(h.app).ino } };
      writeState(h.stateDir, { ...state, generations: [renumbered] });
    }
    await h.ship();

    const r = reassemble(await h.batches());
    expect(r.logs[h.app]?.map((g) => g.bytes.toString())).toEqual([
      'first file\n',
      'second file, same inode\n',
    ]);
  });

  it('exits 1 when the upload keeps failing, and sends the batch next run', async () => {
    const h = host();
    writeFileSync(h.app, lines(5));
    const failed = await h.run({
      LOGVAULT_INGEST_BUCKET: 'logvault-no-such-bucket',
      LOGVAULT_UPLOAD_ATTEMPTS: '2',
    });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('failed after 2 tries');
    await h.ship();
    expect(await h.batches()).toHaveLength(1);
  });

  it('exits 75 while another run holds the lock', async () => {
    const h = host();
    writeFileSync(h.app, lines(1));
    holdShipperLock(h.stateDir);
    const locked = await h.run();
    expect(locked.code).toBe(75);
    expect(locked.stderr).toContain('another run');
  });

  /** A fake IMDSv2 that answers `instanceId` to a caller holding its token. */
  async function withImds<T>(
    instanceId: string,
    requests: { method?: string; url?: string; headers: IncomingHttpHeaders }[],
    body: (endpoint: string) => Promise<T>,
  ): Promise<T> {
    const imds = createServer((req, res) => {
      requests.push({ method: req.method, url: req.url, headers: req.headers });
      if (req.method === 'PUT' && req.url === '/latest/api/token') return res.end('token-123');
      const authorised = req.headers['x-aws-ec2-metadata-token'] === 'token-123';
      if (req.method === 'GET' && req.url === '/latest/meta-data/instance-id' && authorised)
        return res.end(instanceId);
      res.statusCode = 401;
      res.end();
    });
    await new Promise<void>((r) => imds.listen(0, '127.0.0.1', r));
    try {
      return await body(`http://127.0.0.1:${(imds.address() as AddressInfo).port}`);
    } finally {
      await new Promise((r) => imds.close(r));
    }
  }

  it('on an instance, asks IMDSv2 for its id and writes under its role session, role-id:instance-id', async () => {
    const instanceId = 'i-0fedcba9876543210';
    const client = {
      region: 'us-east-1',
      endpoint,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    };
    const role = await new IAMClient(client).send(
      new CreateRoleCommand({
        RoleName: 'logvault-test-shipper',
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' },
          ],
        }),
      }),
    );
    const session = await new STSClient(client).send(
      new AssumeRoleCommand({ RoleArn: role.Role?.Arn, RoleSessionName: instanceId }),
    );
    const userId = session.AssumedRoleUser?.AssumedRoleId ?? '';
    // The AWS CLI's calls in this session are the instance role's: recorded for the IAM check,
    // with this test's bucket standing for the stack's ingest bucket.
    appendRecord({ kind: 'names', names: { [BUCKET]: 'IngestBucket' } });
    const sessions = new Map([
      [session.Credentials?.AccessKeyId ?? '', { role: 'ProvisionedInstanceRole', userId }],
    ]);
    const proxy = await startFaultProxy(endpoint, 1, proxyRecorder(sessions));
    const h = host();
    const asInstance = (imds: string) =>
      h.run({
        LOGVAULT_INSTANCE_ID: '',
        AWS_ENDPOINT_URL: proxy.endpoint,
        AWS_EC2_METADATA_SERVICE_ENDPOINT: imds,
        AWS_ACCESS_KEY_ID: session.Credentials?.AccessKeyId ?? '',
        AWS_SECRET_ACCESS_KEY: session.Credentials?.SecretAccessKey ?? '',
        AWS_SESSION_TOKEN: session.Credentials?.SessionToken ?? '',
      });
    writeFileSync(h.app, lines(3));
    const requests: { method?: string; url?: string; headers: IncomingHttpHeaders }[] = [];
    try {
      const run = await withImds(instanceId, requests, asInstance);
      expect(run.code, run.stderr).toBe(0);
      expect(requests.map((r) => `${r.method} ${r.url}`)).toEqual([
        'PUT /latest/api/token',
        'GET /latest/meta-data/instance-id',
      ]);
      expect(requests[0]?.headers['x-aws-ec2-metadata-token-ttl-seconds']).toBeDefined();
      expect(userId).toMatch(new RegExp(`^ARO[A-Z0-9]+:${instanceId}$`));
      const [batch, ...rest] = (await batchesIn(s3, BUCKET, `${userId}/`)) as [StoredBatch, ...StoredBatch[]];
      expect(rest).toEqual([]);
      expect(batch.key.startsWith(`${userId}/_logvault/ship/`)).toBe(true);
      // The pipeline files it under the instance id, which the batch names as its source too.
      expect(splitSourceKey(batch.key).source).toBe(instanceId);
      expect(batch.header.source).toBe(instanceId);

      // A batch over the AWS CLI's 8 MiB multipart threshold goes up in parts, in the same session.
      appendFileSync(
        h.app,
        Array.from({ length: 9 * 1024 }, () => `${randomBytes(512).toString('hex')}\n`).join(''),
      );
      const large = await withImds(instanceId, [], asInstance);
      expect(large.code, large.stderr).toBe(0);
      expect(await batchesIn(s3, BUCKET, `${userId}/`)).toHaveLength(2);
    } finally {
      await proxy.stop();
    }
  });

  it("refuses to ship on an instance whose session is not the instance's own role session", async () => {
    const h = host();
    const run = await withImds('i-0fedcba9876543210', [], (imds) =>
      h.run({ LOGVAULT_INSTANCE_ID: '', AWS_EC2_METADATA_SERVICE_ENDPOINT: imds }),
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('is not the instance role of i-0fedcba9876543210');
  });

  it('refuses to run without an instance id, a bucket, or with a relative glob', async () => {
    const h = host();
    const noImds = await h.run({
      LOGVAULT_INSTANCE_ID: '',
      AWS_EC2_METADATA_SERVICE_ENDPOINT: 'http://127.0.0.1:9',
    });
    expect(noImds.code).toBe(2);
    expect(noImds.stderr).toContain('cannot read the instance id from IMDSv2');
    expect(await h.run({ LOGVAULT_INGEST_BUCKET: '' })).toMatchObject({ code: 2 });
    const relative = await h.run({ LOGVAULT_LOG_PATHS: 'var/log/*.log' });
    expect(relative.code).toBe(2);
    expect(relative.stderr).toContain('log path globs must be absolute: var/log/*.log');
  });
});
