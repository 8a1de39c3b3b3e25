import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { build, type Plugin } from 'esbuild';

const projectRoot = resolve(import.meta.dirname, '../..');

/** What lib-storage's Upload sends: one PUT when small, else a multipart upload it aborts on failure. */
const UPLOAD_OPERATIONS = [
  'PutObject',
  'CreateMultipartUpload',
  'UploadPart',
  'CompleteMultipartUpload',
  'AbortMultipartUpload',
];

// Only logvault's own files: every package import stays outside the graph.
const packagesExternal: Plugin = {
  name: 'packages-external',
  setup(b) {
    b.onResolve({ filter: /^[^./#]/ }, (args) => ({ path: args.path, external: true }));
  },
};

/**
 * The S3 operations the code reachable from an entry file can call, found by reading its import
 * graph (esbuild's metafile) for commands imported from @aws-sdk/client-s3 and uploads through
 * @aws-sdk/lib-storage.
 */
export async function s3OperationsIn(entry: string): Promise<string[]> {
  const result = await build({
    entryPoints: [resolve(projectRoot, entry)],
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format: 'esm',
    absWorkingDir: projectRoot,
    logLevel: 'silent',
    plugins: [packagesExternal],
  });
  const operations = new Set<string>();
  for (const file of Object.keys(result.metafile.inputs)) {
    const text = readFileSync(resolve(projectRoot, file), 'utf8');
    for (const m of text.matchAll(/import\s*\{([^}]*)\}\s*from\s*'@aws-sdk\/client-s3'/g))
      for (const name of (m[1] ?? '').matchAll(/\b(\w+)Command\b/g)) operations.add(name[1] as string);
    if (/from\s*'@aws-sdk\/lib-storage'/.test(text) && /new Upload\(/.test(text))
      for (const op of UPLOAD_OPERATIONS) operations.add(op);
  }
  return [...operations].sort();
}
