import { readdirSync, renameSync, rmSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { syncDirectory } from './durable-file.js';
import { Segment } from './segment.js';

/*
 * Putting a cleaned segment file in place of the segments it was made from, so that a crash at
 * any point leaves either the old segments or the cleaned one, never both and never neither:
 *
 * 1. the cleaner writes `<base>.log.cleaned` and fsyncs it;
 * 2. it is renamed to `<base>-<end>.swap`, naming the offsets it replaces: from `base` (its
 *    first source segment) to `end` (the segment after its last one); directory fsynced;
 * 3. every `.log` segment whose base offset lies in [base, end) is deleted; directory fsynced;
 * 4. the swap file is renamed to `<base>.log`; directory fsynced.
 *
 * On start-up (`finishInterruptedSwaps`), a `.cleaned` file is an unfinished cleaning and is
 * deleted; a `.swap` file is a finished one that was not yet in place, and steps 3-4 are redone.
 */

const SWAP_FILE = /^(\d{20})-(\d{20})\.swap$/;
const CLEANED_FILE = /^\d{20}\.log\.cleaned$/;

const pad = (offset: number): string => String(offset).padStart(20, '0');

function segmentBases(dir: string): number[] {
  return readdirSync(dir)
    .filter((name) => /^\d{20}\.log$/.test(name))
    .map((name) => Number(name.slice(0, 20)));
}

/** Completes or discards cleanings a crash interrupted; returns one line per file handled. */
export function finishInterruptedSwaps(dir: string): string[] {
  const lines: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (CLEANED_FILE.test(name)) {
      rmSync(join(dir, name), { force: true });
      lines.push(`removed ${name}, a cleaning that had not finished`);
      continue;
    }
    const swap = SWAP_FILE.exec(name);
    if (swap === null) continue;
    const base = Number(swap[1]);
    const end = Number(swap[2]);
    for (const replaced of segmentBases(dir).filter((offset) => offset >= base && offset < end)) {
      rmSync(join(dir, Segment.fileName(replaced)), { force: true });
    }
    syncDirectory(dir);
    renameSync(join(dir, name), join(dir, Segment.fileName(base)));
    syncDirectory(dir);
    lines.push(`finished putting cleaned segment ${base} (offsets up to ${end}) in place`);
  }
  return lines;
}

async function syncDirectoryAsync(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Steps 2-4 for one cleaned file replacing the segment files `replaced` (all with base offsets
 * in [base, end)). Runs on the libuv pool: the event loop keeps serving while directories sync.
 */
export async function swapIn(
  dir: string,
  cleanedPath: string,
  base: number,
  end: number,
  replaced: readonly string[],
): Promise<void> {
  const swapPath = join(dir, `${pad(base)}-${pad(end)}.swap`);
  await rename(cleanedPath, swapPath);
  await syncDirectoryAsync(dir);
  await Promise.all(replaced.map((path) => rm(path, { force: true })));
  await syncDirectoryAsync(dir);
  await rename(swapPath, join(dir, Segment.fileName(base)));
  await syncDirectoryAsync(dir);
}
