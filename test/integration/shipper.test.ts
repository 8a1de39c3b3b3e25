import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  appendFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MotoServer, startMoto } from '#local/moto.ts';
import { splitSourceKey } from '#shared/archive/layout.ts';
import { SHIPPER_SCRIPT } from '#shared/provision/shipper-script.ts';

// Runs the real shipper with bash and the project's AWS CLI (.venv/bin/aws) against moto's S3.
// It starts its own moto for now; the shared integration harness will take that over.

const root = resolve(import.meta.dirname, '../..');
const INSTANCE = 'i-0123456789abcdef0';
const BUCKET = 'logvault-test-ingest';

let moto: MotoServer;
let s3: S3Client;
const tmp = mkdtempSync(join(tmpdir(), 'logvault-shipper-'));
// A space in the directory makes every glob one that must not be split at spaces.
const logs = join(tmp, 'var log');
const shipper = join(tmp, 'logvault-ship');

beforeAll(async () => {
  moto = await startMoto();
  s3 = new S3Client({
    region: 'us-east-1',
    endpoint: moto.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  // Versioning makes every PutObject visible, including one that would overwrite a key.
  await s3.send(
    new PutBucketVersioningCommand({ Bucket: BUCKET, VersioningConfiguration: { Status: 'Enabled' } }),
  );
  writeFileSync(shipper, SHIPPER_SCRIPT);
});

afterAll(async () => {
  s3?.destroy();
  await moto?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

interface RunResult {
  readonly code: number;
  readonly stderr: string;
}

function runShipper(env: Record<string, string> = {}): Promise<RunResult> {
  return new Promise((done) => {
    execFile(
      'bash',
      [shipper],
      {
        timeout: 90_000,
        env: {
          PATH: `${root}/.venv/bin:${process.env.PATH ?? '/usr/bin:/bin'}`,
          HOME: tmp,
          // Keep any real AWS configuration on this machine out of the run.
          AWS_CONFIG_FILE: join(tmp, 'no-aws-config'),
          AWS_SHARED_CREDENTIALS_FILE: join(tmp, 'no-aws-credentials'),
          AWS_ENDPOINT_URL: moto.endpoint,
          AWS_ACCESS_KEY_ID: 'test',
          AWS_SECRET_ACCESS_KEY: 'test',
          AWS_DEFAULT_REGION: 'us-east-1',
          LOGVAULT_INSTANCE_ID: INSTANCE,
          LOGVAULT_STATE_DIR: join(tmp, 'state'),
          LOGVAULT_INGEST_BUCKET: BUCKET,
          // One glob per line: the directory holds a space.
          LOGVAULT_LOG_PATHS: `${logs}/*.log\n${logs}/messages`,
          LOGVAULT_RETRY_DELAY: '0',
          ...env,
        },
      },
      (error, _stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        done({ code, stderr });
      },
    );
  });
}

interface Version {
  readonly key: string;
  readonly versionId: string;
}

async function versions(bucket = BUCKET): Promise<Version[]> {
  const res = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket }));
  return (res.Versions ?? []).map((v) => ({ key: v.Key ?? '', versionId: v.VersionId ?? '' }));
}

async function body(key: string): Promise<Buffer> {
  const res = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return Buffer.from((await res.Body?.transformToByteArray()) ?? []);
}

/** The key the shipper uses for the first upload of a local path. */
const keyOf = (path: string) => `${INSTANCE}/${path.replace(/^\//, '')}`;

/** Content, mtime and inode: what "the shipper never touched the file" means. */
function fingerprint(path: string) {
  const st = statSync(path);
  return {
    sha256: createHash('sha256').update(readFileSync(path)).digest('hex'),
    mtimeMs: st.mtimeMs,
    size: st.size,
    ino: st.ino,
  };
}

describe('logvault-ship against S3 (moto)', () => {
  const files = {
    app: join(logs, 'app.log'),
    spaced: join(logs, 'my app.log'),
    rotatedGz: join(logs, 'app.log.1.gz'),
    messages: join(logs, 'messages'),
    rotatedDate: join(logs, 'messages-20261124'),
  };

  beforeAll(() => {
    mkdirSync(logs, { recursive: true });
    writeFileSync(files.app, 'app line 1\napp line 2\n');
    writeFileSync(files.spaced, 'a file with a space in its name\n');
    writeFileSync(files.rotatedGz, gzipSync(Buffer.from('rotated and compressed\n'.repeat(100))));
    writeFileSync(files.messages, 'Nov 25 kernel: current\n');
    writeFileSync(files.rotatedDate, 'Nov 24 kernel: rotated by date\n');
    writeFileSync(join(logs, 'notes.txt'), 'matches no glob\n');
    // Empty files wait until they have something to keep.
    writeFileSync(join(logs, 'empty.log'), '');
  });

  it('ships every matching file, rotated ones included, byte for byte under the instance id', async () => {
    const before = Object.fromEntries(Object.values(files).map((f) => [f, fingerprint(f)]));
    const run = await runShipper();
    expect(run.stderr).toContain('5 shipped, 0 unchanged, 1 empty, 0 failed');
    expect(run.code).toBe(0);

    const keys = (await versions()).map((v) => v.key).sort();
    expect(keys).toEqual(Object.values(files).map(keyOf).sort());
    for (const file of Object.values(files)) {
      expect((await body(keyOf(file))).equals(readFileSync(file)), file).toBe(true);
      expect(fingerprint(file)).toEqual(before[file]);
    }
  });

  it('uploads nothing on a second run over unchanged files', async () => {
    const count = (await versions()).length;
    const run = await runShipper();
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('0 shipped, 5 unchanged');
    expect(await versions()).toHaveLength(count);
  });

  it('uploads nothing for a file that was only touched', async () => {
    const count = (await versions()).length;
    const later = new Date(statSync(files.spaced).mtimeMs + 10_000);
    utimesSync(files.spaced, later, later);
    const run = await runShipper();
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('0 shipped, 5 unchanged');
    expect(await versions()).toHaveLength(count);
  });

  it('ships an appended file again under .<mtime>, leaving the first upload and the local file alone', async () => {
    const previous = await versions();
    const firstUpload = await body(keyOf(files.app));
    appendFileSync(files.app, 'app line 3, appended\n');
    const local = fingerprint(files.app);
    const expected = readFileSync(files.app);

    const run = await runShipper();
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('1 shipped, 4 unchanged');

    const mtime = Math.floor(statSync(files.app).mtimeMs / 1000);
    const added = (await versions()).filter((v) => !previous.some((p) => p.versionId === v.versionId));
    expect(added.map((v) => v.key)).toEqual([`${keyOf(files.app)}.${mtime}`]);
    expect((await body(`${keyOf(files.app)}.${mtime}`)).equals(expected)).toBe(true);
    // The first upload was not overwritten: still one version, still the old bytes.
    expect((await versions()).filter((v) => v.key === keyOf(files.app))).toHaveLength(1);
    expect((await body(keyOf(files.app))).equals(firstUpload)).toBe(true);
    expect(fingerprint(files.app)).toEqual(local);
  });

  it('gives each further change within the same mtime second a key of its own', async () => {
    const mtime = new Date(statSync(files.app).mtimeMs);
    const seconds = Math.floor(mtime.getTime() / 1000);
    for (const line of ['app line 4, same second\n', 'app line 5, same second again\n']) {
      const previous = await versions();
      appendFileSync(files.app, line);
      utimesSync(files.app, mtime, mtime);
      const sha = createHash('sha256').update(readFileSync(files.app)).digest('hex');

      const run = await runShipper();
      expect(run.code).toBe(0);
      const added = (await versions()).filter((v) => !previous.some((p) => p.versionId === v.versionId));
      expect(added.map((v) => v.key)).toEqual([`${keyOf(files.app)}.${seconds}-${sha.slice(0, 12)}`]);
    }
    // Still one version per key: nothing was overwritten.
    const keys = (await versions()).map((v) => v.key);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('tries every file, then exits non-zero, when uploads keep failing', async () => {
    const state = join(tmp, 'state-failing');
    const run = await runShipper({
      LOGVAULT_INGEST_BUCKET: 'logvault-no-such-bucket',
      LOGVAULT_STATE_DIR: state,
      LOGVAULT_UPLOAD_ATTEMPTS: '2',
    });
    expect(run.code).toBe(1);
    for (const file of Object.values(files))
      expect(run.stderr).toContain(`giving up on ${file} after 2 tries`);
    expect(run.stderr).toContain('0 shipped, 0 unchanged, 1 empty, 5 failed');

    // Nothing was recorded as shipped, so a run that can reach the bucket ships it all.
    const retry = await runShipper({ LOGVAULT_STATE_DIR: state });
    expect(retry.code).toBe(0);
    expect(retry.stderr).toContain('5 shipped');
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
      if (req.method === 'GET' && req.url === '/latest/meta-data/instance-id' && authorised) {
        return res.end(instanceId);
      }
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
    // What EC2 hands an instance: a session of its role named after the instance.
    const client = {
      region: 'us-east-1',
      endpoint: moto.endpoint,
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
    const requests: { method?: string; url?: string; headers: IncomingHttpHeaders }[] = [];
    const run = await withImds(instanceId, requests, (endpoint) =>
      runShipper({
        LOGVAULT_INSTANCE_ID: '',
        AWS_EC2_METADATA_SERVICE_ENDPOINT: endpoint,
        AWS_ACCESS_KEY_ID: session.Credentials?.AccessKeyId ?? '',
        AWS_SECRET_ACCESS_KEY: session.Credentials?.SecretAccessKey ?? '',
        AWS_SESSION_TOKEN: session.Credentials?.SessionToken ?? '',
        LOGVAULT_STATE_DIR: join(tmp, 'state-imds'),
      }),
    );
    expect(run.code, run.stderr).toBe(0);
    expect(requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      'PUT /latest/api/token',
      'GET /latest/meta-data/instance-id',
    ]);
    expect(requests[0]?.headers['x-aws-ec2-metadata-token-ttl-seconds']).toBeDefined();
    const userId = session.AssumedRoleUser?.AssumedRoleId ?? '';
    expect(userId).toMatch(new RegExp(`^ARO[A-Z0-9]+:${instanceId}$`));
    const keys = (await versions()).map((v) => v.key);
    const key = `${userId}/${files.messages.replace(/^\//, '')}`;
    expect(keys, JSON.stringify(keys)).toContain(key);
    // The pipeline files it under the instance id.
    expect(splitSourceKey(key).source).toBe(instanceId);
  });

  it("refuses to ship on an instance whose session is not the instance's own role session", async () => {
    const run = await withImds('i-0fedcba9876543210', [], (endpoint) =>
      runShipper({
        LOGVAULT_INSTANCE_ID: '',
        AWS_EC2_METADATA_SERVICE_ENDPOINT: endpoint,
        LOGVAULT_STATE_DIR: join(tmp, 'state-not-instance'),
      }),
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('is not the instance role of i-0fedcba9876543210');
  });

  it('refuses to run without an instance id', async () => {
    const run = await runShipper({
      LOGVAULT_INSTANCE_ID: '',
      AWS_EC2_METADATA_SERVICE_ENDPOINT: 'http://127.0.0.1:9',
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('cannot read the instance id from IMDSv2');
  });

  it('refuses to run without a bucket or with a relative glob', async () => {
    expect(await runShipper({ LOGVAULT_INGEST_BUCKET: '' })).toMatchObject({ code: 2 });
    const relative = await runShipper({ LOGVAULT_LOG_PATHS: 'var/log/*.log' });
    expect(relative.code).toBe(2);
    expect(relative.stderr).toContain('log path globs must be absolute: var/log/*.log');
  });
});
