import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jsonOf, runCli } from '../helpers/run-cli.ts';

// No pipeline runs for this state directory: every answer here comes before one would be needed.
const env = { LOGVAULT_STATE_DIR: mkdtempSync(join(tmpdir(), 'lv-usage-state-')) };
const cli = (...args: string[]) => runCli(args, { env });
const { version } = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8'));

describe('exit codes a script can rely on', () => {
  it.each([
    [['ls', '--sorce', 'x'], "unknown option '--sorce'"],
    [['frobnicate'], "unknown command 'frobnicate'"],
    [['ship', 'x.log'], "required option '-s, --source <name>' not specified"],
    [
      ['provision', '--name', 'a', '--type', 't4g.micro'],
      "required option '--every <schedule>' not specified",
    ],
    [['ls', 'a', 'b'], "too many arguments for 'ls'"],
    [[], 'a command is required'],
    [['policies'], 'a command is required'],
    [['sweep', '--now', '2026-02-30'], '--now "2026-02-30": 2026-02 has no day 30'],
    [['dev', '--api-port', 'eighty'], "option '--api-port <port>' argument 'eighty' is invalid"],
  ])('logvault %j is bad usage: exit 2, and says why', async (args, words) => {
    const run = await cli(...args);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(words);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('help and version exit 0; --version prints the version in package.json', async () => {
    expect(await cli('--version')).toMatchObject({ code: 0, stdout: `${version}\n` });
    expect((await cli('--help')).code).toBe(0);
    expect((await cli('help', 'ship')).code).toBe(0);
  });

  it('with --json, even a usage error prints one JSON document on stdout', async () => {
    const run = await cli('ls', '--sorce', 'x', '--json');
    expect(run.code).toBe(2);
    expect(jsonOf(run)).toEqual({ error: expect.stringContaining("unknown option '--sorce'"), exitCode: 2 });
    const noPipeline = await cli('sweep', '--dry-run', '--json');
    expect(noPipeline.code).toBe(1);
    expect(jsonOf(noPipeline)).toMatchObject({
      error: expect.stringContaining('no local pipeline is running'),
    });
  });
});

describe('errors name the thing the user typed', () => {
  it('ship names a missing path in a sentence, not a system call', async () => {
    const run = await cli('ship', '/nonexistent/app.log', '--source', 'web');
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('logvault: cannot ship: /nonexistent/app.log does not exist\n');
  });

  it.each([
    ['.', 'cannot be ".": that names a directory, not a source'],
    ['..', 'cannot be "..": that names a directory, not a source'],
    ['-x', 'must start with a letter or digit, not "-"'],
    ['a/b', `may contain only letters, digits, '.', '_' and '-' (not "/")`],
  ])('ship --source %j says what is wrong with it', async (source, words) => {
    const run = await cli('ship', '.', '--source', source);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`logvault: --source ${JSON.stringify(source)}: ${words}\n`);
  });

  it('provision checks --count before asking the API, in words', async () => {
    const run = await cli(
      'provision',
      '--name',
      'a',
      '--type',
      't4g.micro',
      '--every',
      'rate(5 minutes)',
      '--count',
      '0',
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('logvault: --count "0": must be a whole number of at least 1\n');
  });
});

describe('the help a person reads', () => {
  const commands = [
    'dev',
    'ship',
    'ls',
    'restore',
    'invoke',
    'verify',
    'redrive',
    'sweep',
    'hold',
    'release',
    'policies',
    'policies check',
    'policies explain',
    'provision',
    'instances',
  ];

  it.each(commands)('logvault %s --help shows examples', async (command) => {
    const run = await cli(...command.split(' '), '--help');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`Examples:\\n\\s+\\$ logvault ${command}`));
  });

  it('marks required options and shows allowed values', async () => {
    const provision = (await cli('provision', '--help')).stdout.replace(/\s+/g, ' ');
    expect(provision).toContain('[required]');
    expect(provision).toContain('one of t4g.nano, t4g.micro, t4g.small, t4g.medium, m7g.medium, m7g.large');
    expect((await cli('ship', '--help')).stdout).toContain('[required]');
    const policies = (await cli('policies', '--help')).stdout.replace(/\s+/g, ' ');
    expect(policies).toContain('codec "zstd" (level 1-19) or "gzip" (level 1-9)');
    expect(policies).toContain('STANDARD, INTELLIGENT_TIERING, STANDARD_IA');
    expect((await cli('restore', '--help')).stdout.replace(/\s+/g, ' ')).toContain(
      'Expedited, Standard or Bulk',
    );
    expect((await cli('instances', '--help')).stdout).toContain('-s, --source <name>');
  });

  it('says that dates without a zone are UTC, and which formats are read', async () => {
    const ls = (await cli('ls', '--help')).stdout.replace(/\s+/g, ' ');
    expect(ls).toContain(
      '--from <iso> logs shipped (objects: modified) at or after this time [UTC unless a zone is given]',
    );
    const top = (await cli('--help')).stdout.replace(/\s+/g, ' ');
    expect(top).toContain('Dates (--from, --to, --now): YYYY-MM-DD');
    expect(top).toContain('without a zone, UTC');
  });
});

describe('policies', () => {
  it('explain says the default matched by its own glob', async () => {
    const run = await cli('policies', 'explain', 'real/dpkg.log');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      'why      no other policy matched; default policy "standard" matches with source glob "*"',
    );
  });

  it('explain --size tells the storage class an archive really gets, and why', async () => {
    const small = await cli('policies', 'explain', 'audit-db/pg.log', '--size', '50KiB');
    expect(small.stdout).toContain(
      'class    STANDARD, and it stays there: a 50.0 KiB archive is under 128 KiB, and S3 bills',
    );
    const big = jsonOf(await cli('policies', 'explain', 'audit-db/pg.log', '--size', '2MiB', '--json'));
    expect(big).toMatchObject({
      policy: 'audit',
      archivedBytes: 2 * 1024 ** 2,
      storageClassAtWrite: 'GLACIER_IR',
    });
    expect((await cli('policies', 'explain', 'web', '--size', 'huge')).code).toBe(2);
  });

  it('check --json prints a parseable verdict for a valid and an invalid file', async () => {
    const ok = await cli('policies', 'check', '--json');
    expect(ok.code).toBe(0);
    expect(jsonOf(ok)).toMatchObject({ valid: true, policies: expect.arrayContaining(['standard']) });

    const file = join(mkdtempSync(join(tmpdir(), 'lv-policies-')), 'bad.json');
    writeFileSync(file, JSON.stringify({ version: 1, defaultPolicy: 'nope', policies: [] }));
    const bad = await cli('policies', 'check', file, '--json');
    expect(bad.code).toBe(1);
    expect(jsonOf(bad)).toMatchObject({
      file,
      valid: false,
      errors: [{ path: 'policies', rule: expect.any(String) }],
    });
    expect(bad.stderr).toContain(`logvault: ${file}: policies:`);
  });
});
