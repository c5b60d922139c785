import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The committed generated code (TypeScript here, Java in the Flink job) must be what flatc makes of fbs/ today.
const schemasDir = fileURLToPath(new URL('..', import.meta.url));
const committedJava = fileURLToPath(new URL('../../analytics/src/main/java', import.meta.url));
// The packages generate.mjs makes of the Kafka records; the job's own sources live beside them.
const javaPackages = ['tickstream/kafka', 'tickstream/trading', 'tickstream/user'];
const hasFlatc = spawnSync('flatc', ['--version']).status === 0;
if (!hasFlatc && process.env.CI !== 'true') {
  console.log('generated-code freshness test skipped: flatc is not installed (apt-get install flatbuffers-compiler)');
}

function files(dir: string): Map<string, string> {
  const found = new Map<string, string>();
  const walk = (at: string): void => {
    for (const name of readdirSync(at)) {
      const path = join(at, name);
      if (statSync(path).isDirectory()) walk(path);
      else found.set(relative(dir, path), readFileSync(path, 'utf8'));
    }
  };
  walk(dir);
  return found;
}

describe.skipIf(!hasFlatc && process.env.CI !== 'true')('generated FlatBuffers code', () => {
  it('matches a fresh flatc run over fbs/', () => {
    const scratch = mkdtempSync(join(tmpdir(), 'tickstream-gen-check-'));
    try {
      const freshTs = join(scratch, 'ts');
      const freshJava = join(scratch, 'java');
      execFileSync(process.execPath, [
        join(schemasDir, 'scripts', 'generate.mjs'),
        '--ts',
        freshTs,
        '--java',
        freshJava,
      ]);
      expectSameFiles(files(join(schemasDir, 'src', 'generated')), files(freshTs), 'schemas/src/generated');
      for (const javaPackage of javaPackages) {
        expectSameFiles(
          files(join(committedJava, javaPackage)),
          files(join(freshJava, javaPackage)),
          `analytics/src/main/java/${javaPackage}`,
        );
      }
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});

function expectSameFiles(committed: Map<string, string>, fresh: Map<string, string>, where: string): void {
  expect([...committed.keys()].sort()).toEqual([...fresh.keys()].sort());
  for (const [path, content] of fresh) {
    expect(committed.get(path), `${where}/${path} is stale: run npm run gen -w schemas`).toBe(content);
  }
}
