import { readFileSync } from 'node:fs';
import { projectPath } from './target.ts';

/**
 * The instance types `provision` may ask for, as serverless.yml's `custom.provision.instanceTypes`
 * sets them for every stage packaged from this checkout; undefined when the file says nothing.
 */
export function allowedInstanceTypes(): string[] | undefined {
  try {
    const yml = readFileSync(projectPath('serverless.yml'), 'utf8');
    const section = /^ {2}provision:\s*\n((?: {4}.*\n|\s*#.*\n)*)/m.exec(yml)?.[1] ?? '';
    const types = /^ {4}instanceTypes:\s*([^\s#]+)/m.exec(section)?.[1];
    return types ? types.split(',').filter(Boolean) : undefined;
  } catch {
    return undefined;
  }
}

/** The `--type` help: the allow-list, and where a deployed stage's comes from. */
export function instanceTypesHelp(): string {
  const types = allowedInstanceTypes();
  const list = types
    ? `one of ${types.join(', ')} (serverless.yml custom.provision)`
    : 'from the stage allow-list';
  return `${list}; a deployed stage's API names its own list when it refuses one`;
}
