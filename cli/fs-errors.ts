/** A file-system error as a sentence about the path the user gave, not the system call that failed. */
export function describeFsError(error: unknown, path?: string): string {
  const e = error as NodeJS.ErrnoException;
  const where = path ?? e.path ?? 'the path';
  switch (e.code) {
    case 'ENOENT':
      return `${where} does not exist`;
    case 'EACCES':
    case 'EPERM':
      return `${where} cannot be read: permission denied`;
    case 'ENOTDIR':
      return `${where} cannot be reached: a part of the path before it is a file, not a directory`;
    case 'ELOOP':
      return `${where} cannot be reached: its symbolic links go round in a loop`;
    case 'ENAMETOOLONG':
      return `${where} is too long a path for this system`;
    case 'EISDIR':
      return `${where} is a directory, where a file is needed`;
    default:
      return e.path
        ? `${where}: ${e.message.replace(/^[A-Z]+: /, '').replace(/, \w+ '.*'$/, '')}`
        : e.message;
  }
}
