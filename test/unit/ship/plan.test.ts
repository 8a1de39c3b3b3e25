import { describe, expect, it } from 'vitest';
import { MAX_LINE_BYTES } from '#shared/ship/observed.ts';
import { completeLinesEnd, FORGET_AFTER_MS } from '#shared/ship/plan.ts';
import { contentOf, Host } from './host.ts';

const APP = '/var/log/app.log';

describe('shipping rules', () => {
  it('sends only what was appended since the last run, up to the last complete line', () => {
    const host = new Host();
    host.write(APP, 'one\ntwo\nthr');
    const first = host.run();
    expect(first.header?.segments).toEqual([expect.objectContaining({ path: APP, start: 0, end: 8 })]);
    expect(first.plan.heldBack).toBe(3);

    host.append(APP, 'ee\nfour\n');
    const second = host.run();
    expect(second.header?.segments).toEqual([expect.objectContaining({ start: 8, end: 19 })]);
    expect(host.run().header).toBeUndefined();
    expect(host.sent()).toEqual({ [APP]: 'one\ntwo\nthree\nfour\n' });
  });

  it('lets a partial last line wait while the file is active, however long', () => {
    const host = new Host();
    host.write(APP, 'done\npartial');
    host.run();
    for (let i = 0; i < 3; i++) expect(host.run().header).toBeUndefined();
    expect(host.sent()).toEqual({ [APP]: 'done\n' });
  });

  it('waits for content: an empty file is not a generation yet', () => {
    const host = new Host();
    host.write(APP, '');
    expect(host.run().header).toBeUndefined();
    expect(host.state.generations).toEqual([]);
  });

  it('reads a file with no newline in its last MiB to its end: it is not made of lines', () => {
    const content = contentOf(Buffer.alloc(MAX_LINE_BYTES + 10, 0x41), []);
    expect(content.lineEnd).toBeUndefined();
    expect(completeLinesEnd(content, 0)).toBe(MAX_LINE_BYTES + 10);
    expect(completeLinesEnd(contentOf(Buffer.from('abc'), []), 0)).toBe(0);
    expect(completeLinesEnd(contentOf(Buffer.from('a\nbc'), []), 0)).toBe(2);
  });

  it('follows a rename rotation: the renamed file sends only its tail, the new file is a new generation', () => {
    const host = new Host();
    host.write(APP, 'a1\na2\n');
    host.run();
    host.append(APP, 'a3\n');
    host.rename(APP, `${APP}.1`);
    host.write(APP, 'b1\n');
    const { header } = host.run();
    expect(header?.segments.map((s) => [s.start, s.end])).toEqual([
      [6, 9],
      [0, 3],
    ]);
    // Both segments belong to the log's own path, in two generations.
    expect(new Set(header?.segments.map((s) => s.path))).toEqual(new Set([APP]));
    expect(host.sent()).toEqual({ [APP]: 'a1\na2\na3\n|b1\n' });
    // The old generation grew since the last run: it is closed once a run finds it no longer growing.
    expect(header?.generations.find((g) => g.through === 9)?.closed).toBe(false);
    const closing = host.run().header;
    expect(closing?.segments).toEqual([]);
    expect(closing?.generations).toEqual([expect.objectContaining({ path: APP, through: 9, closed: true })]);
    expect(host.run().header).toBeUndefined();
  });

  it('sends the partial last line of a rotated file once it has stopped growing', () => {
    const host = new Host();
    host.write(APP, 'a1\na2 partial');
    host.run();
    host.rename(APP, `${APP}.1`);
    host.write(APP, 'b1\n');
    host.run();
    expect(host.sent()[APP]).toBe('a1\na2 partial|b1\n');
  });

  it('waits one run before sending the partial line of a rotated file that still grew', () => {
    const host = new Host();
    host.write(APP, 'a1\n');
    host.run();
    host.append(APP, 'a2 par');
    host.rename(APP, `${APP}.1`);
    const { header } = host.run();
    expect(header?.generations.find((g) => g.through === 3)).toBeUndefined();
    expect(host.sent()[APP]).toBe('a1\n');
    host.append(`${APP}.1`, 'tial\n');
    host.run();
    expect(host.sent()[APP]).toBe('a1\na2 partial\n');
  });

  it('recognises a copytruncate copy by its fingerprint and sends only its tail; the truncated file starts anew', () => {
    const host = new Host();
    host.write(APP, 'c1\nc2\n');
    host.run();
    host.append(APP, 'c3\n');
    host.copytruncate(APP, `${APP}.1`);
    host.append(APP, 'd1\n');
    const { header } = host.run();
    expect(header?.gaps).toEqual([]);
    expect(header?.segments.map((s) => [s.start, s.end])).toEqual([
      [6, 9],
      [0, 3],
    ]);
    expect(host.sent()).toEqual({ [APP]: 'c1\nc2\nc3\n|d1\n' });
  });

  it('never sends a gzip of content already sent, and does not decompress it again next run', () => {
    const host = new Host();
    host.write(APP, 'g1\n');
    host.run();
    host.rename(APP, `${APP}.1`);
    host.write(APP, 'h1\n');
    host.run();
    host.gzip(`${APP}.1`);
    const { header } = host.run();
    expect(header).toBeUndefined();
    expect(host.observe().find((f) => f.gzip)?.content).toBeUndefined();
    expect(host.run().header).toBeUndefined();
    expect(host.sent()).toEqual({ [APP]: 'g1\n|h1\n' });
  });

  it('keeps following a gzip it knows without decompressing it, and never sends it, however long it stays', () => {
    const host = new Host();
    host.write(APP, 'g1\n');
    host.run();
    host.rename(APP, `${APP}.1`);
    host.gzip(`${APP}.1`);
    host.run();
    host.clock += FORGET_AFTER_MS;
    host.run();
    host.clock += FORGET_AFTER_MS;
    expect(host.run().header).toBeUndefined();
    expect(host.state.generations.map((g) => [g.file.path, g.missingSince])).toEqual([
      [`${APP}.1.gz`, undefined],
    ]);
    expect(host.sent()).toEqual({ [APP]: 'g1\n' });
  });

  it('sends from the decompressed stream the tail only a gzip still holds', () => {
    const host = new Host();
    host.write(APP, 'g1\n');
    host.run();
    host.append(APP, 'g2 unsent\n');
    // compress without delaycompress: rotated and gzipped before the shipper saw the tail.
    host.rename(APP, `${APP}.1`);
    host.gzip(`${APP}.1`);
    const { header } = host.run();
    expect(header?.segments).toEqual([expect.objectContaining({ start: 3, end: 13 })]);
    expect(header?.generations[0]?.closed).toBe(true);
    expect(host.sent()).toEqual({ [APP]: 'g1\ng2 unsent\n' });
  });

  it('does not take an older, shorter copy for a log it has sent more of', () => {
    const host = new Host();
    host.write(APP, `${'x'.repeat(4999)}\n`);
    host.run();
    host.write(`${APP}.old`, `${'x'.repeat(4999)}\n`);
    host.append(APP, 'more\n');
    host.run();
    host.truncate(APP);
    host.append(APP, 'new\n');
    const { header } = host.run();
    expect(header?.segments).toEqual([expect.objectContaining({ start: 0, end: 4 })]);
    const old = host.state.generations.find((g) => g.through === 5005);
    expect(old?.missingSince).toBeDefined();
    expect(
      host
        .sent()
        [APP]?.split('|')
        .map((t) => t.length),
    ).toEqual([5005, 4]);
  });

  it('reports bytes lost to a truncation without a copy as a gap with their range', () => {
    const host = new Host();
    host.write(APP, 'kept\nlost partial');
    host.run();
    host.truncate(APP);
    host.append(APP, 'new\n');
    const { header } = host.run();
    expect(header?.gaps).toEqual([
      expect.objectContaining({ path: APP, start: 5, end: 17, reason: 'truncated' }),
    ]);
    expect(host.sent()).toEqual({ [APP]: 'kept\n<truncated 12>|new\n' });
  });

  it('reports the unsent bytes of a deleted file as a gap, and nothing for one that was all sent', () => {
    const host = new Host();
    host.write(APP, 'x\ny');
    host.write('/var/log/done.log', 'all\n');
    host.run();
    host.remove(APP);
    host.remove('/var/log/done.log');
    const { header } = host.run();
    expect(header?.gaps).toEqual([expect.objectContaining({ start: 2, end: 3, reason: 'deleted' })]);
    expect(header?.generations.map((g) => g.closed)).toEqual([true, true]);
    expect(host.run().header).toBeUndefined();
  });

  it('takes a reused inode for a new generation, not the old file', () => {
    const host = new Host();
    host.write(APP, 'old content\n');
    host.run();
    const ino = host.inode(APP);
    host.remove(APP);
    host.write(APP, 'new content, same inode\n', ino);
    const { header } = host.run();
    const ids = new Set(host.batches.flatMap((b) => b.segments.map((s) => s.generation)));
    expect(ids.size).toBe(2);
    expect(header?.segments).toEqual([expect.objectContaining({ start: 0, end: 24 })]);
    expect(host.sent()).toEqual({ [APP]: 'old content\n|new content, same inode\n' });
  });

  it('on first contact sends the active file from byte 0 and records rotated ones as seen', () => {
    const host = new Host();
    host.write(`${APP}.2`, 'oldest\n');
    host.gzip(`${APP}.2`);
    host.write(`${APP}.1`, 'older\n');
    host.write(APP, 'current\n');
    host.write('/var/log/server-01', 'a log of its own\n');
    const { header } = host.run();
    expect(header?.segments.map((s) => s.path).sort()).toEqual([APP, '/var/log/server-01']);
    expect(host.state.generations).toHaveLength(4);
    // Later runs leave them be, and a gzip of the seen copy is not sent either.
    host.gzip(`${APP}.1`);
    expect(host.run().header).toBeUndefined();
  });

  it('on first contact with backfill sends rotated files too, under their log, oldest first', () => {
    const host = new Host();
    host.write(`${APP}.2`, 'oldest\n');
    host.gzip(`${APP}.2`);
    host.clock += 60_000;
    host.write(`${APP}.1`, 'older\n');
    host.clock += 60_000;
    host.write(APP, 'current\n');
    host.run({ backfill: true });
    expect(host.sent()).toEqual({ [APP]: 'oldest\n|older\n|current\n' });
    // Backfill happens on first contact only: the next run sends nothing again (it only reports
    // the rotated plain file closed, now that it has not grown).
    expect(host.run({ backfill: true }).header?.segments).toEqual([]);
    expect(host.run({ backfill: true }).header).toBeUndefined();
    expect(host.sent()).toEqual({ [APP]: 'oldest\n|older\n|current\n' });
  });

  it('sends a rotated file it has never seen, so nothing written between two runs is lost', () => {
    const host = new Host();
    host.write(APP, 'a\n');
    host.run();
    host.rename(APP, `${APP}.1`);
    host.write(APP, 'b\n');
    host.rename(APP, `${APP}.2`);
    host.rename(`${APP}.1`, `${APP}.3`);
    host.write(APP, 'c\n');
    host.run();
    expect(Object.values(host.sent()).join('').split('|').sort()).toEqual(['a\n', 'b\n', 'c\n']);
  });

  it('reports a gzip that breaks off, holding the only copy of unsent bytes, as unreadable', () => {
    const host = new Host();
    host.write(APP, 'a\nb');
    host.run();
    host.rename(APP, `${APP}.1`);
    host.gzip(`${APP}.1`, `${APP}.1.gz`, true);
    const { header } = host.run();
    expect(header?.gaps).toEqual([expect.objectContaining({ start: 2, end: 3, reason: 'unreadable' })]);
  });

  it('leaves alone a vanished file it was not told to look for', () => {
    const host = new Host();
    host.write(APP, 'a\nb');
    host.run();
    host.remove(APP);
    host.patterns = [{ glob: '/var/log/other/*' }];
    expect(host.run().header).toBeUndefined();
    expect(host.state.generations[0]?.through).toBe(2);
  });

  it('forgets a vanished generation a week after, not before', () => {
    const host = new Host();
    host.write(APP, 'a\n');
    host.run();
    host.remove(APP);
    host.run();
    expect(host.state.generations).toHaveLength(1);
    host.clock += FORGET_AFTER_MS - 15 * 60 * 1000;
    host.run();
    expect(host.state.generations).toHaveLength(1);
    host.clock += 60 * 60 * 1000;
    host.run();
    expect(host.state.generations).toHaveLength(0);
  });

  it('sends at most the budget in one run and the rest in the next', () => {
    const host = new Host();
    host.write(APP, 'l1\nl2\nl3\n');
    host.write('/var/log/b.log', 'b1\n');
    const first = host.run({ budget: { bytes: 4, entries: 10 } });
    expect(first.header?.segments.map((s) => [s.path, s.start, s.end])).toEqual([[APP, 0, 4]]);
    expect(first.plan.heldBack).toBe(5 + 3);
    host.run({ budget: { bytes: 100, entries: 1 } });
    host.run();
    expect(host.sent()).toEqual({ [APP]: 'l1\nl2\nl3\n', '/var/log/b.log': 'b1\n' });
  });

  it('does not count a range as sent when reading it failed, and plans it again', () => {
    const host = new Host();
    host.write(APP, 'r1\n');
    expect(host.run({ failReads: true }).header).toBeUndefined();
    expect(host.state.generations[0]?.through).toBe(0);
    host.run();
    expect(host.sent()).toEqual({ [APP]: 'r1\n' });
  });

  it('records mode, owner and modification time of each generation it touches', () => {
    const host = new Host();
    host.write(APP, 'm\n');
    const { header } = host.run();
    expect(header?.generations[0]).toMatchObject({
      path: APP,
      mode: 0o640,
      uid: 0,
      gid: 4,
      through: 2,
      closed: false,
    });
    expect(header?.generations[0]?.mtime).toBe(new Date(host.clock - 15 * 60 * 1000).toISOString());
  });

  it('chains batches through prev', () => {
    const host = new Host();
    host.write(APP, '1\n');
    host.run();
    host.append(APP, '2\n');
    host.run();
    expect(host.batches.map((b) => b.prev)).toEqual([null, host.batches[0]?.batch]);
  });
});
