import { describe, expect, it } from 'vitest';
import { flagForField, plainIssue } from '#cli/api-fields.ts';
import { describeFsError } from '#cli/fs-errors.ts';
import { readSize } from '#cli/sizes.ts';
import { sourceNameProblem } from '#cli/source-name.ts';

describe('flagForField', () => {
  it('names the flag a person typed for each API field', () => {
    expect(flagForField('backupFrequency')).toBe('--every');
    expect(flagForField('instanceType')).toBe('--type');
    expect(flagForField('count')).toBe('--count');
    expect(flagForField('imageId')).toBe('--image');
    expect(flagForField('subnetId')).toBe('--subnet');
  });

  it('names a repeated flag by the value sent, or by its position', () => {
    expect(flagForField('logPaths.1', { logPaths: ['/ok', 'relative'] })).toBe('--log-path "relative"');
    expect(flagForField('securityGroupIds.2')).toBe('--security-group (the 3rd one)');
    expect(flagForField('tags.team')).toBe('--tag team=…');
  });

  it('leaves a field it does not know as it is', () => {
    expect(flagForField('somethingNew')).toBe('somethingNew');
  });
});

describe('plainIssue', () => {
  it('puts generic validation messages in words', () => {
    expect(plainIssue('Too small: expected number to be >=1')).toBe('must be at least 1');
    expect(plainIssue('Too big: expected number to be <=5')).toBe('must be at most 5');
    expect(plainIssue('Too small: expected array to have >=1 items')).toBe(
      'must be given at least 1 time(s)',
    );
    expect(plainIssue('Invalid input: expected string, received undefined')).toBe('is required');
    expect(plainIssue('Invalid input: expected int, received number')).toBe(
      'must be a whole number, not a number',
    );
  });

  it('keeps messages that are already words', () => {
    expect(plainIssue('must be an AMI id (ami-…)')).toBe('must be an AMI id (ami-…)');
  });
});

describe('sourceNameProblem', () => {
  it('accepts names of letters, digits, dots, underscores and dashes starting with a letter or digit', () => {
    for (const name of ['web-1', 'i-0abc123', 'app.billing_v2', 'a'.repeat(128)])
      expect(sourceNameProblem(name)).toBeUndefined();
  });

  it('says what is actually wrong', () => {
    expect(sourceNameProblem('.')).toBe('cannot be ".": that names a directory, not a source');
    expect(sourceNameProblem('..')).toBe('cannot be "..": that names a directory, not a source');
    expect(sourceNameProblem('-x')).toBe('must start with a letter or digit, not "-"');
    expect(sourceNameProblem('.hidden')).toBe('must start with a letter or digit, not "."');
    expect(sourceNameProblem('a/b c')).toBe(
      `may contain only letters, digits, '.', '_' and '-' (not "/", " ")`,
    );
    expect(sourceNameProblem('')).toBe('must not be empty');
    expect(sourceNameProblem('a'.repeat(129))).toBe('must be at most 128 characters (it has 129)');
  });

  it('refuses the reserved source names, and only those', () => {
    for (const name of ['archive', 'expiry'])
      expect(sourceNameProblem(name)).toBe(
        "is reserved: archive, expiry, _logvault are logvault's own prefixes, so the pipeline would refuse what is shipped under it",
      );
    for (const name of ['archived', 'Archive', 'expiry-app']) expect(sourceNameProblem(name)).toBeUndefined();
  });
});

describe('describeFsError', () => {
  it('names the path and the problem, not the system call', () => {
    const enoent = Object.assign(new Error("ENOENT: no such file or directory, stat '/x/y'"), {
      code: 'ENOENT',
      path: '/x/y',
    });
    expect(describeFsError(enoent)).toBe('/x/y does not exist');
    expect(describeFsError({ code: 'EACCES', path: '/root/a', message: 'EACCES' })).toBe(
      '/root/a cannot be read: permission denied',
    );
  });
});

describe('readSize', () => {
  it('reads bytes and binary or decimal units', () => {
    expect(readSize('131072')).toBe(131072);
    expect(readSize('128KiB')).toBe(131072);
    expect(readSize('1.5 MiB')).toBe(1572864);
    expect(readSize('2M')).toBe(2097152);
    expect(readSize('1KB')).toBe(1000);
  });

  it('refuses what is not a size', () => {
    for (const text of ['', 'big', '3XB', '-1', '1e3']) expect(readSize(text)).toBeUndefined();
  });
});
