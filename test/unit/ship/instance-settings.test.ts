import { describe, expect, it } from 'vitest';
import { ShipSettingsError } from '#shared/errors.ts';
import { keyPrefix, readInstanceSettings } from '#shared/ship/instance-settings.ts';

const noFile = () => {
  throw new Error('ENOENT');
};
const base = { LOGVAULT_INGEST_BUCKET: 'ingest', LOGVAULT_LOG_PATHS: '/var/log/messages /var/log/app/*.log' };

describe('instance shipper settings', () => {
  it('reads the environment, with the defaults user data relies on', () => {
    expect(readInstanceSettings(base, noFile)).toEqual({
      bucket: 'ingest',
      globs: ['/var/log/messages', '/var/log/app/*.log'],
      stateDir: '/var/lib/logvault/ship',
      backfill: false,
      attempts: 5,
      retryDelaySec: 2,
      imdsEndpoint: 'http://169.254.169.254',
    });
  });

  it('reads one glob per line (which may hold spaces) from the paths file and from a multi-line value', () => {
    const files: Record<string, string> = {
      '/etc/logvault/log-paths': '# comment\n/var/log/my app/*.log\n\n',
    };
    const settings = readInstanceSettings(
      {
        LOGVAULT_INGEST_BUCKET: 'b',
        LOGVAULT_LOG_PATHS: '/a b/x\n/c',
        LOGVAULT_LOG_PATHS_FILE: '/etc/logvault/log-paths',
        LOGVAULT_BACKFILL: '1',
      },
      (p) => files[p] ?? noFile(),
    );
    expect(settings.globs).toEqual(['/a b/x', '/c', '/var/log/my app/*.log']);
    expect(settings.backfill).toBe(true);
  });

  it.each([
    [{ LOGVAULT_INGEST_BUCKET: '' }, 'LOGVAULT_INGEST_BUCKET is not set'],
    [{ LOGVAULT_LOG_PATHS: '' }, 'no log paths'],
    [{ LOGVAULT_LOG_PATHS: 'var/log/*.log' }, 'log path globs must be absolute: var/log/*.log'],
    [{ LOGVAULT_UPLOAD_ATTEMPTS: '0' }, 'LOGVAULT_UPLOAD_ATTEMPTS must be a positive whole number'],
    [{ LOGVAULT_RETRY_DELAY: '1.5' }, 'LOGVAULT_RETRY_DELAY must be a whole number of seconds'],
    [{ LOGVAULT_BACKFILL: 'yes' }, 'LOGVAULT_BACKFILL must be 0 or 1'],
    [{ LOGVAULT_LOG_PATHS_FILE: '/nope' }, 'cannot read /nope'],
  ])('refuses %j', (change, message) => {
    expect(() => readInstanceSettings({ ...base, ...change }, noFile)).toThrow(ShipSettingsError);
    expect(() => readInstanceSettings({ ...base, ...change }, noFile)).toThrow(message);
  });

  it("uses the instance's role session as the key prefix, and refuses another session", async () => {
    const settings = readInstanceSettings(base, noFile);
    expect(await keyPrefix(settings, 'i-0abc', async () => 'AROAEXAMPLE:i-0abc')).toBe('AROAEXAMPLE:i-0abc');
    await expect(keyPrefix(settings, 'i-0abc', async () => 'AROAEXAMPLE:i-0other')).rejects.toThrow(
      'this session (AROAEXAMPLE:i-0other) is not the instance role of i-0abc',
    );
    await expect(
      keyPrefix(settings, 'i-0abc', async () => {
        throw new Error('no credentials');
      }),
    ).rejects.toThrow('cannot ask STS for this session: no credentials');
  });

  it('uses the given instance id or prefix outside EC2, and refuses unusable ones', async () => {
    const outside = readInstanceSettings({ ...base, LOGVAULT_INSTANCE_ID: 'i-1' }, noFile);
    const sts = async () => {
      throw new Error('not asked');
    };
    expect(await keyPrefix(outside, 'i-1', sts)).toBe('i-1');
    const prefixed = readInstanceSettings({ ...base, LOGVAULT_KEY_PREFIX: 'web' }, noFile);
    expect(await keyPrefix(prefixed, 'i-1', sts)).toBe('web');
    await expect(keyPrefix(outside, 'i-1/../x', sts)).rejects.toThrow('unusable instance id');
    const bad = readInstanceSettings({ ...base, LOGVAULT_KEY_PREFIX: 'a/b' }, noFile);
    await expect(keyPrefix(bad, 'i-1', sts)).rejects.toThrow('unusable key prefix: a/b');
  });
});
