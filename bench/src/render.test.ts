import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readRecording } from './feed-recording.js';
import { contractLine, findAnchorsDir } from './render.js';

describe('render benchmark: inputs it refuses, and its last line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tickstream-render-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('says where it looked for the harnesses and how to name them', () => {
    expect(() => findAnchorsDir(join(dir, 'nowhere'))).toThrow(
      `the reference harnesses (run.mjs) are not in ${join(dir, 'nowhere')}: name their directory with --anchors DIR or TICKSTREAM_ANCHORS`,
    );
    writeFileSync(join(dir, 'run.mjs'), '');
    expect(findAnchorsDir(dir)).toBe(dir);
  });

  it('refuses a file that is not a recording, or one cut short, naming the problem', () => {
    const notOne = join(dir, 'not-a-recording');
    writeFileSync(notOne, 'hello world, not a feed');
    expect(() => readRecording(notOne)).toThrow(`${notOne} is not a feed recording: no TSFEED01 magic`);
    const cut = join(dir, 'cut.tsfeed');
    const header = Buffer.from('{}');
    const length = Buffer.alloc(4);
    length.writeUInt32LE(header.length + 100);
    writeFileSync(cut, Buffer.concat([Buffer.from('TSFEED01'), length, header]));
    expect(() => readRecording(cut)).toThrow(`${cut} is not a feed recording: its header runs past the end`);
  });

  it('ends with the contract line', () => {
    const line = contractLine({
      dashboardFps50k: 41.23,
      dashboardMain50k: 0.123,
      dashboardIdle: 0.04,
      dashboardFps200k: 30,
      bestHarness: 'dom-virtual',
      bestHarnessFps50k: 40.96,
    });
    expect(line).toBe(
      'render: dashboard fps@50k=41.2 main@50k=0.12 idle=0.04 fps@200k=30.0; best harness fps@50k=41.0 (dom-virtual)',
    );
  });
});
