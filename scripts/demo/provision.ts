/**
 * The provisioning part of the demo: ask the API for an instance, wait for it, then run its shipper
 * as its timer would, twice around a log rotation, and watch the batches arrive in the archive.
 * `scripts/demo.ts` calls it.
 */
import { appendFileSync, mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import type { LocalCloud } from '#local/cloud.ts';
import { pollUntil } from '#local/poll.ts';
import { logText, writeTree } from '#local/sample-logs.ts';
import { runShipperOnce } from '#local/shipper.ts';
import { createDocumentClient } from '#shared/clients/aws.ts';
import { listLogs } from '#shared/logs/list-logs.ts';
import { SHIPPER_BUNDLE } from '#shared/provision/shipper-bundle.ts';

async function api(cloud: LocalCloud, method: string, path: string, body?: unknown, headers = {}) {
  const res = await fetch(`${cloud.apiUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

export async function provisionDemo(
  cloud: LocalCloud,
  say: (line: string) => void,
): Promise<Record<string, unknown>> {
  if (!cloud.apiUrl) throw new Error('the local cloud was started without its HTTP API');
  const started = Date.now();
  const request = {
    name: 'demo-web-1',
    instanceType: 't4g.micro',
    backupFrequency: 'rate(15 minutes)',
    tags: { team: 'demo' },
  };
  const accepted = await api(cloud, 'POST', '/instances', request, { 'Idempotency-Key': 'demo-web-1' });
  if (accepted.status !== 202)
    throw new Error(`POST /instances answered ${accepted.status}: ${JSON.stringify(accepted.body)}`);
  say(`POST /instances → 202, request ${String(accepted.body.requestId)} ${String(accepted.body.status)}`);

  const state = await pollUntil(async () => {
    const { body } = await api(cloud, 'GET', String(accepted.body.statusUrl));
    return body.status === 'running' || body.status === 'failed' ? body : undefined;
  }, 'the request to settle');
  if (state.status !== 'running') throw new Error(`request failed: ${String(state.reason)}`);
  const launchMs = Date.now() - started;
  const instanceId = String((state.instanceIds as string[])[0]);
  const listed = await api(cloud, 'GET', `/instances?source=${request.name}`);
  const instance = (listed.body.instances as { instanceId: string; tags: Record<string, string> }[]).find(
    (i) => i.instanceId === instanceId,
  );
  say(`running after ${launchMs} ms: ${instanceId}`);
  say(
    `  tags: ${Object.entries(instance?.tags ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join(', ')}`,
  );

  // What the instance's timer does every 15 minutes, run here against the local cloud: the bundle
  // user data installs, under Node, with the AWS CLI. Each run sends one batch of what is new.
  const logDir = mkdtempSync(join(tmpdir(), 'lv-demo-instance-logs-'));
  const files = { messages: Buffer.from(logText(2000, 7)), 'app/web.log': Buffer.from(logText(500, 8)) };
  writeTree(logDir, files);
  const run = {
    bundle: SHIPPER_BUNDLE,
    endpoint: cloud.endpoint,
    region: cloud.region,
    ingestBucket: String(cloud.outputs.IngestBucketName),
    instanceId,
    logPaths: [`${logDir}/messages`, `${logDir}/app/*.log`],
    stateDir: mkdtempSync(join(tmpdir(), 'lv-demo-shipper-state-')),
  };
  const shipStarted = Date.now();
  const sent = (stderr: string) => /sent .*/.exec(stderr)?.[0] ?? stderr.trim();
  say(`shipper run 1: ${sent((await runShipperOnce(run)).stderr)}`);
  // The log grows; then it is rotated by rename (web.log -> web.log.1, a new web.log), as logrotate does.
  const web = join(logDir, 'app/web.log');
  appendFileSync(web, logText(40, 9));
  renameSync(web, `${web}.1`);
  writeFileSync(web, logText(20, 10));
  say(`shipper run 2 (after appends and a rotation): ${sent((await runShipperOnce(run)).stderr)}`);

  const s3 = new S3Client({ forcePathStyle: true });
  const bucket = String(cloud.outputs.ArchiveBucketName);
  const ledger = { ddb: createDocumentClient(), table: String(cloud.outputs.MembersTableName) };
  const shippedBytes =
    Object.values(files).reduce((n, b) => n + b.length, 0) + logText(40, 9).length + logText(20, 10).length;
  const archived = await pollUntil(async () => {
    const { rows } = await listLogs({ s3, bucket, ledger }, { source: instanceId });
    const stored = rows.reduce((n, r) => n + r.bytes, 0);
    return stored >= shippedBytes ? [...new Set(rows.flatMap((r) => r.archives))] : undefined;
  }, 'the instance batches to be archived');
  const archiveMs = Date.now() - shipStarted;
  say(
    `archived after ${archiveMs} ms: every shipped byte of ${instanceId}'s logs, in ${archived.length} archive(s)`,
  );
  return {
    requestId: accepted.body.requestId,
    instanceId,
    tags: instance?.tags ?? {},
    launchMs,
    shippedFiles: Object.keys(files).length,
    archives: archived,
    archiveMs,
  };
}
