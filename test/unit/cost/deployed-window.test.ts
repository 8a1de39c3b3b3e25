import { describe, expect, it } from 'vitest';
import { deployedArchiveWindowSeconds } from '../../../bench/packing.ts';

describe('deployedArchiveWindowSeconds', () => {
  it('reads the archive window of the default stage, not of a named one', () => {
    const yml =
      'params:\n  default:\n    archiveBatchWindow: 240\n    archiveBatchSize: 10\n  local:\n    archiveBatchWindow: 5\n';
    expect(deployedArchiveWindowSeconds(yml)).toBe(240);
  });

  it('reads the repository’s serverless.yml', () => {
    expect(deployedArchiveWindowSeconds()).toBeGreaterThan(0);
  });

  it('names the setting when the default stage has none', () => {
    expect(() => deployedArchiveWindowSeconds('params:\n  local:\n    archiveBatchWindow: 5\n')).toThrow(
      /params\.default\.archiveBatchWindow/,
    );
  });
});
