import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { readTopicRepeatedly } from './fetch-reader.js';
import { cpuSeconds, freePort, stopChild } from './processes.js';
import { blastProduce, lz4RecordBatch, produceRequest } from './raw-produce.js';
import { interleavedRuns, median } from './stats.js';

/**
 * The broker's Fetch path across builds: each build's `tickstream broker` (its
 * cli/bin/tickstream.js) in a process of its own holds the same kind of topic — 3 partitions of
 * 64 KB lz4 batches of 100 B records from the raw producer — read whole again and again with
 * Fetch v4 at read_uncommitted (the edge's way) and read_committed; runs interleaved so a noisy
 * machine hits the builds alike. MB/s, and the broker's CPU ms per MB, which noise disturbs less.
 *
 *   git worktree add ../before <commit> && (cd ../before && npm ci && npm run build)
 *   node bench/dist/fetch-builds.js ../before/cli/bin/tickstream.js cli/bin/tickstream.js
 */
const PARTITIONS = 3;
const TOPIC = 'fetch-builds';

interface Broker {
  bin: string;
  bootstrap: string;
  child: ChildProcess;
  dataDir: string;
}

async function startBroker(bin: string): Promise<Broker> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'tickstream-fetch-builds-'));
  const child = spawn(process.execPath, [bin, 'broker', '--port', String(port), '--data-dir', dataDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await new Promise<void>((listening, failed) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('broker listening')) listening();
    });
    child.once('exit', (code) => failed(new Error(`${bin} broker exited with ${code}`)));
  });
  const values = Array.from({ length: 640 }, (_, i) =>
    Buffer.from(`${i}:${Math.random().toString(36).repeat(8)}`.padEnd(100, '.').slice(0, 100)),
  );
  const batch = await lz4RecordBatch(values);
  const requests = Array.from({ length: PARTITIONS }, (_, p) => produceRequest(TOPIC, p, batch, p + 1));
  // The first produce creates the topic; then ~3 s of batches to read.
  await blastProduce('127.0.0.1', port, requests, { seconds: 0.2, connections: 1, pipeline: 1 });
  await blastProduce('127.0.0.1', port, requests, { seconds: 3, connections: PARTITIONS, pipeline: 4 });
  return { bin, bootstrap: `127.0.0.1:${port}`, child, dataDir };
}

export async function runFetchBuildsBench(bins: string[], runs = 8, seconds = 2) {
  const brokers: Broker[] = [];
  try {
    for (const bin of bins) brokers.push(await startBroker(resolve(bin)));
    const variants = brokers.flatMap((broker) => [0, 1].map((isolation) => ({ broker, isolation })));
    const samples = await interleavedRuns(runs, variants, async ({ broker, isolation }) => {
      const before = cpuSeconds(broker.child.pid ?? 0);
      const read = await readTopicRepeatedly(broker.bootstrap, TOPIC, PARTITIONS, isolation, seconds);
      const cpuMs = (cpuSeconds(broker.child.pid ?? 0) - before) * 1000;
      return { megabytesPerSecond: read.megabytes / read.seconds, cpuMsPerMegabyte: cpuMs / read.megabytes };
    });
    return variants.map(({ broker, isolation }, i) => ({
      build: broker.bin,
      isolation: isolation === 0 ? 'read_uncommitted' : 'read_committed',
      megabytesPerSecond: median((samples[i] ?? []).map((s) => s.megabytesPerSecond)),
      cpuMsPerMegabyte: median((samples[i] ?? []).map((s) => s.cpuMsPerMegabyte)),
      cpuRuns: (samples[i] ?? []).map((s) => s.cpuMsPerMegabyte),
    }));
  } finally {
    for (const broker of brokers) {
      await stopChild(broker.child);
      rmSync(broker.dataDir, { recursive: true, force: true });
    }
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const bins = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
  if (bins.length === 0) {
    process.stderr.write('usage: node bench/dist/fetch-builds.js BUILD/cli/bin/tickstream.js [MORE …]\n');
    process.exit(2);
  }
  const rows = await runFetchBuildsBench(bins);
  process.stdout.write('Fetch v4 through one topic, medians of 8 interleaved runs of 2 s\n');
  for (const row of rows) {
    process.stdout.write(
      `${row.build}  ${row.isolation.padEnd(16)} ${row.megabytesPerSecond.toFixed(0).padStart(5)} MB/s  ${row.cpuMsPerMegabyte.toFixed(2)} broker CPU ms/MB  (runs ${row.cpuRuns.map((v) => v.toFixed(2)).join(' ')})\n`,
    );
  }
}
