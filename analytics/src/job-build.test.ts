import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { removeOlderBuilds } from './job-build.js';

describe('the job cache', () => {
  it('keeps only the newest build of a Flink version, and nothing else is touched', async () => {
    const root = await mkdtemp(join(tmpdir(), 'tickstream-job-cache-'));
    try {
      const names = [
        'analytics-2.3.0-aaaaaaaaaaaa',
        'analytics-2.3.0-bbbbbbbbbbbb',
        'analytics-2.3.0-cccccccccccc.partial-123',
        'analytics-2.2.0-dddddddddddd',
        'kafka-4.4.0',
      ];
      for (const name of names) await mkdir(join(root, name, 'libs'), { recursive: true });
      await removeOlderBuilds(join(root, 'analytics-2.3.0-bbbbbbbbbbbb'), '2.3.0');
      expect((await readdir(root)).sort()).toEqual([
        'analytics-2.2.0-dddddddddddd',
        'analytics-2.3.0-bbbbbbbbbbbb',
        'analytics-2.3.0-cccccccccccc.partial-123',
        'kafka-4.4.0',
      ]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
