import { resolve } from 'node:path';
import { build } from 'esbuild';

const root = resolve(import.meta.dirname, '..');
export const SHIPPER_ENTRY = resolve(root, 'shared/ship/instance-main.ts');
export const SHIPPER_MODULE = resolve(root, 'shared/provision/shipper-bundle.ts');
/** Amazon Linux 2023's default `nodejs` package is Node 18: esbuild refuses syntax it cannot run. */
export const SHIPPER_NODE_TARGET = 'node18';
export const REGENERATE =
  'LOGVAULT_UPDATE_SHIPPER=1 npx vitest run test/unit/provision/shipper-bundle.test.ts';

/** The instance shipper as one minified ES module, the way user data installs it. */
export async function buildShipperBundle(): Promise<string> {
  const out = await build({
    entryPoints: [SHIPPER_ENTRY],
    bundle: true,
    minify: true,
    platform: 'node',
    format: 'esm',
    target: SHIPPER_NODE_TARGET,
    charset: 'ascii',
    legalComments: 'none',
    write: false,
    logLevel: 'silent',
  });
  return (out.outputFiles[0]?.text ?? '').trimEnd();
}

/** shipper-bundle.ts: the bundle as a template literal, because the provision Lambda cannot read files. */
export function renderBundleModule(js: string): string {
  const body = js.replaceAll('\\', '\\\\').replaceAll('`', '\\`').replaceAll('${', '\\${');
  return `// Generated from shared/ship/instance-main.ts by local/build-shipper.ts: edit the source, then run
//   ${REGENERATE}
// It exists because the provision Lambda, which renders user data, cannot read files at run time.

/** The instance log shipper, bundled for Node.js 18+ (see shared/ship/instance-main.ts). */
export const SHIPPER_BUNDLE = \`${body}\`;
`;
}
