import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SHIPPER_SCRIPT } from '#shared/provision/shipper-script.ts';

const dir = resolve(import.meta.dirname, '../../../shared/provision');
const shellPath = resolve(dir, 'shipper.sh');
const modulePath = resolve(dir, 'shipper-script.ts');

/** shipper-script.ts as generated from shipper.sh: the script as a template literal. */
function renderModule(script: string): string {
  const body = script.replaceAll('\\', '\\\\').replaceAll('`', '\\`').replaceAll('${', '\\${');
  return `// Generated from shipper.sh, which is the source to edit; then regenerate this file with
//   LOGVAULT_UPDATE_SHIPPER=1 npx vitest run test/unit/provision/shipper-script.test.ts
// It exists because a bundled Lambda cannot read shipper.sh from disk.

/** The log shipper installed on instances as /usr/local/bin/logvault-ship (see shipper.sh). */
export const SHIPPER_SCRIPT = \`${body}\`;
`;
}

describe('SHIPPER_SCRIPT', () => {
  const script = readFileSync(shellPath, 'utf8');
  if (process.env.LOGVAULT_UPDATE_SHIPPER === '1') writeFileSync(modulePath, renderModule(script));

  it('is byte-identical to shipper.sh', () => {
    expect(
      SHIPPER_SCRIPT === script,
      'shipper-script.ts is stale: LOGVAULT_UPDATE_SHIPPER=1 npx vitest run test/unit/provision/shipper-script.test.ts',
    ).toBe(true);
  });

  it('carries no credentials and no S3 endpoint, leaving both to the AWS CLI', () => {
    expect(script).not.toMatch(
      /AWS_SECRET_ACCESS_KEY|AWS_ACCESS_KEY_ID|AWS_SESSION_TOKEN|--endpoint-url|amazonaws\.com/,
    );
    expect(script).not.toMatch(/^\s*(export\s+)?AWS_ENDPOINT_URL=/m);
  });

  it('never deletes, moves or truncates anything but its own state', () => {
    const commands = script.split('\n').filter((line) => !line.trimStart().startsWith('#'));
    expect(commands.filter((line) => /\b(rm|truncate|shred|unlink)\b|\bmv\b/.test(line))).toEqual([
      '    ! mv -f -- "$state.tmp" "$state"; then',
    ]);
  });

  it('is what the generator writes, so the check above cannot pass by hand-editing both', () => {
    expect(readFileSync(modulePath, 'utf8')).toBe(renderModule(script));
  });
});
