import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { resetMoto } from '#local/moto.ts';
import {
  allMembers,
  BY_SOURCE_INDEX,
  CLAIM_TTL_DAYS,
  claimMember,
  claimOf,
  endAttempt,
  forgetMember,
  getAttempt,
  getMember,
  type LedgerDeps,
  MalformedLedgerItemError,
  memberItem,
  membersOfSource,
  renewLease,
  startAttempt,
  takeOverMember,
} from '#shared/archive/member-ledger.ts';
import type { MemberDescription } from '#shared/archive/pack-format.ts';

let deps: LedgerDeps;

beforeAll(async () => {
  const endpoint = inject('motoEndpoint');
  await resetMoto(endpoint);
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const table = 'ledger-test-members';
  await client.send(
    new CreateTableCommand({
      TableName: table,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'id', AttributeType: 'S' },
        { AttributeName: 'source', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [
        {
          IndexName: BY_SOURCE_INDEX,
          KeySchema: [
            { AttributeName: 'source', KeyType: 'HASH' },
            { AttributeName: 'sk', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    }),
  );
  deps = { ddb: DynamoDBDocumentClient.from(client), table };
});

const hex = (n: number) => n.toString(16).padStart(32, '0');
const object = (n: number, source: string, time: string): MemberDescription => ({
  id: hex(n),
  kind: 'object',
  source,
  time,
  sha256: 'a'.repeat(64),
  size: 10,
  bucket: 'ingest-bucket',
  key: `${source}/app-${n}.log`,
  revision: `v${n}`,
  modified: time,
  eTag: '"e"',
});

describe('member ledger against DynamoDB', () => {
  it('claims a member once, answers the holder to the second claim, and lets a failed claim be taken over', async () => {
    const now = new Date();
    const first = await startAttempt(deps, 'pack/p/2026-11-26/a.lvp', now);
    const second = await startAttempt(deps, 'pack/p/2026-11-26/b.lvp', now);
    const m = object(1, 'web', '2026-11-26T07:00:00.000Z');
    const mine = memberItem(m, { archive: first.archive, attempt: first.id, policy: 'apps' });
    const theirs = memberItem(m, { archive: second.archive, attempt: second.id, policy: 'apps' });

    expect(await claimMember(deps, mine)).toEqual({ claimed: true });
    const holder = (i: typeof mine) => ({ id: i.id, attempt: i.attempt, archive: i.archive });
    expect(await claimMember(deps, theirs)).toEqual({ claimed: false, holder: holder(mine) });

    await endAttempt(deps, first.id, 'failed', now);
    expect((await getAttempt(deps, first.id))?.state).toBe('failed');
    expect(await takeOverMember(deps, theirs, first.id)).toBe(true);
    // A second retry that read the old holder loses: the item names another attempt now.
    expect(await takeOverMember(deps, mine, first.id)).toBe(false);
    expect(await getMember(deps, m.id)).toEqual(holder(theirs));
  });

  it('claims a packed member with a claim that expires, and answers its holder from it', async () => {
    const now = new Date('2026-11-26T10:00:00.000Z');
    const first = await startAttempt(deps, 'pack/p/2026-11-26/g.lvp', now);
    const second = await startAttempt(deps, 'pack/p/2026-11-26/h.lvp', now);
    const m = object(2, 'web', '2026-11-26T08:00:00.000Z');
    const claim = claimOf({ id: m.id, attempt: first.id, archive: first.archive }, now);
    expect(claim).toEqual({
      id: m.id,
      attempt: first.id,
      archive: first.archive,
      ttl: now.getTime() / 1000 + CLAIM_TTL_DAYS * 86_400,
    });
    expect(await claimMember(deps, claim)).toEqual({ claimed: true });
    const theirs = claimOf({ id: m.id, attempt: second.id, archive: second.archive }, now);
    expect(await claimMember(deps, theirs)).toEqual({
      claimed: false,
      holder: { id: m.id, attempt: first.id, archive: first.archive },
    });
    // A claim is no member: listings read members from member items and pack entries only.
    const listed: string[] = [];
    for await (const item of allMembers(deps)) listed.push(item.id);
    expect(listed).not.toContain(m.id);
  });

  it('renews a live lease only, and a done attempt never', async () => {
    const now = new Date();
    const attempt = await startAttempt(deps, 'pack/p/2026-11-26/c.lvp', now);
    expect(await renewLease(deps, attempt.id, new Date(now.getTime() + 20_000))).toBe(now.getTime() + 80_000);
    expect(await renewLease(deps, attempt.id, new Date(now.getTime() + 90_000))).toBeUndefined();
    const done = await startAttempt(deps, 'pack/p/2026-11-26/d.lvp', now);
    await endAttempt(deps, done.id, 'done', now);
    expect(await renewLease(deps, done.id, now)).toBeUndefined();
  });

  it('lists a source’s members by time range, and every member without the attempts', async () => {
    const now = new Date();
    const attempt = await startAttempt(deps, 'pack/p/2026-11-27/e.lvp', now);
    const times = ['2026-11-27T01:00:00.000Z', '2026-11-27T02:00:00.000Z', '2026-11-27T03:00:00.000Z'];
    for (const [i, time] of times.entries()) {
      const item = memberItem(object(100 + i, 'api', time), {
        archive: attempt.archive,
        attempt: attempt.id,
        policy: 'apps',
      });
      expect(await claimMember(deps, item)).toEqual({ claimed: true });
    }
    const ids = async (gen: AsyncGenerator<{ id: string }>) => {
      const out: string[] = [];
      for await (const m of gen) out.push(m.id);
      return out;
    };
    expect(await ids(membersOfSource(deps, 'api'))).toEqual([hex(100), hex(101), hex(102)]);
    const from = new Date(times[1] as string);
    expect(await ids(membersOfSource(deps, 'api', { from }))).toEqual([hex(101), hex(102)]);
    expect(await ids(membersOfSource(deps, 'api', { to: from }))).toEqual([hex(100), hex(101)]);
    expect(await ids(membersOfSource(deps, 'api', { from, to: from }))).toEqual([hex(101)]);
    const all = await ids(allMembers(deps));
    expect(all).toEqual(expect.arrayContaining([hex(1), hex(100), hex(101), hex(102)]));
    expect((await ids(allMembers(deps, { from, to: from }))).sort()).toEqual([hex(101)]);
    expect((await ids(allMembers(deps, { from }))).sort()).toEqual(
      expect.arrayContaining([hex(101), hex(102)]),
    );
    expect(await ids(allMembers(deps, { from }))).not.toContain(hex(100));
    expect(all.some((id) => id.startsWith('attempt#'))).toBe(false);
  });

  it('forgets a member only while it names the archive being deleted', async () => {
    const now = new Date();
    const attempt = await startAttempt(deps, 'pack/p/2026-11-28/f.lvp', now);
    const item = memberItem(object(200, 'db', '2026-11-28T01:00:00.000Z'), {
      archive: attempt.archive,
      attempt: attempt.id,
      policy: 'apps',
    });
    await claimMember(deps, item);
    expect(await forgetMember(deps, item.id, 'pack/p/2026-11-28/other.lvp')).toBe(false);
    expect(await forgetMember(deps, item.id, attempt.archive)).toBe(true);
    expect(await getMember(deps, item.id)).toBeUndefined();
  });

  it('refuses a malformed item by name instead of handing it to a reader', async () => {
    await deps.ddb.send(
      new PutCommand({ TableName: deps.table, Item: { id: hex(300), source: 'x', sk: 'y' } }),
    );
    await expect(getMember(deps, hex(300))).rejects.toThrow(/ledger member 0+12c invalid/);
    // An entry without the pack it points at is refused the same way, before any pack is read.
    await deps.ddb.send(
      new PutCommand({
        TableName: deps.table,
        Item: { id: `entry#${hex(301)}`, source: 'broken', sk: `2026-11-26T00:00:00.000Z#${hex(301)}` },
      }),
    );
    const read = async () => {
      for await (const _ of membersOfSource(deps, 'broken'));
    };
    await expect(read()).rejects.toThrow(MalformedLedgerItemError);
    await expect(read()).rejects.toThrow(/ledger entry entry#0+12d invalid at archive/);
  });
});
