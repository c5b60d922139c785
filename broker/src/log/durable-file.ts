import { closeSync, fsyncSync, openSync, renameSync, writeFileSync } from 'node:fs';

/** write + fsync + rename: the file is either the old or the new content after a crash. */
export function writeDurably(path: string, content: string): void {
  const temporary = `${path}.tmp`;
  writeFileSync(temporary, content);
  const fd = openSync(temporary, 'r+');
  fsyncSync(fd);
  closeSync(fd);
  renameSync(temporary, path);
}

/** fsync of a directory, so renames and deletions in it survive a power cut, not only a crash. */
export function syncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
