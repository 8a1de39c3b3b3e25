import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ShipStateError } from '#shared/errors.ts';
import {
  defaultStateDir,
  emptyState,
  encodeState,
  parseState,
  readState,
  type ShipState,
  STATE_FILE,
  writeState,
} from '#shared/ship/state.ts';
import { Host } from './host.ts';

const tmp = mkdtempSync(join(tmpdir(), 'logvault-ship-state-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A state with every kind of entry: generations (one gzip, one vanished), a copy, a pending batch. */
function fullState(): ShipState {
  const host = new Host();
  host.write('/var/log/app.log', 'a\n');
  host.write('/var/log/gone.log', 'g\npartial');
  host.run();
  host.rename('/var/log/app.log', '/var/log/app.log.1');
  host.gzip('/var/log/app.log.1');
  host.write('/var/log/copy.log', 'a\n');
  host.gzip('/var/log/copy.log', '/var/log/app.log.1.gz.bak');
  host.remove('/var/log/gone.log');
  const { header } = host.run();
  if (!header) throw new Error('expected a batch');
  return { ...host.state, pending: { key: `web/_logvault/ship/${header.batch}.lvb`, header } };
}

describe('shipper state', () => {
  it('round-trips every field', () => {
    const state = fullState();
    expect(state.generations.some((g) => g.file.gzip)).toBe(true);
    expect(state.generations.some((g) => g.missingSince)).toBe(true);
    expect(state.copies).toHaveLength(1);
    expect(parseState(encodeState(state))).toEqual(state);
  });

  it('is written atomically: the file is whole and no temporary file is left', () => {
    const dir = mkdtempSync(join(tmp, 'write-'));
    const state = fullState();
    writeState(dir, state);
    writeState(dir, { ...state, pending: null });
    expect(readdirSync(dir)).toEqual([STATE_FILE]);
    expect(readState(dir, 'web', 'web')).toEqual({ ...state, pending: null });
  });

  it('is absent before the first run (first contact)', () => {
    expect(readState(mkdtempSync(join(tmp, 'none-')), 'web', 'web')).toBeUndefined();
  });

  it('refuses a state written for another source or prefix, naming both', () => {
    const dir = mkdtempSync(join(tmp, 'other-'));
    writeState(dir, emptyState('web', 'web', new Date()));
    expect(() => readState(dir, 'db', 'db')).toThrow(ShipStateError);
    expect(() => readState(dir, 'db', 'db')).toThrow(/belongs to source "web".*not "db"/);
  });

  it('refuses a damaged state rather than shipping everything again', () => {
    const dir = mkdtempSync(join(tmp, 'bad-'));
    writeFileSync(join(dir, STATE_FILE), '{"v":1,');
    expect(() => readState(dir, 'web', 'web')).toThrow(/is not JSON/);
    const state = JSON.parse(encodeState(fullState()));
    state.generations[0].through = -1;
    writeFileSync(join(dir, STATE_FILE), JSON.stringify(state));
    expect(() => readState(dir, 'web', 'web')).toThrow(/generations\.0\.through: must be a whole number/);
    state.generations[0].through = 0;
    state.generations[0].extra = true;
    expect(() => parseState(JSON.stringify(state))).toThrow(/generations\.0\.extra: is not a known field/);
    const pending = JSON.parse(encodeState(fullState()));
    pending.pending.header.gaps[0].end = 0;
    expect(() => parseState(JSON.stringify(pending))).toThrow(/pending\.header: batch header invalid/);
  });

  it('lives under XDG_STATE_HOME for logvault ship, else ~/.local/state', () => {
    expect(defaultStateDir('web', { XDG_STATE_HOME: '/x/state' })).toBe('/x/state/logvault/ship/web');
    expect(defaultStateDir('web', {})).toMatch(/\/\.local\/state\/logvault\/ship\/web$/);
    expect(defaultStateDir('web', { XDG_STATE_HOME: 'relative' })).toMatch(/\/\.local\/state\//);
  });

  it('writes the file owner-only', () => {
    const dir = mkdtempSync(join(tmp, 'mode-'));
    writeState(dir, emptyState('web', 'web', new Date()));
    expect(statSync(join(dir, STATE_FILE)).mode & 0o777).toBe(0o600);
  });
});
