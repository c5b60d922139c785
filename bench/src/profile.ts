import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { defaultEdgeBenchOptions, startLoadGenerator, subscriptionsFor } from './edge.js';
import { cli, freePort, spawnCli, spawnProducer, startBrokerProcess, stopChild, waitForEdge } from './processes.js';

/**
 * `npm run profile:edge|producer|broker`: one tier under clinic (doctor or flame), the others
 * around it as real processes, under the load it is built for, then clinic's HTML report in
 * bench/results/profiles/. docs/benchmarks.md, "Profiling", says how to read them.
 *
 * - edge: broker + producer at 20,000 ticks/s over 1,000 symbols, the edge under clinic, 1,000
 *   clients in pages of 50 (the edge bench's load generator) for the window.
 * - producer: broker, the producer under clinic at --rate max for the window.
 * - broker: the broker under clinic, fed by the producer at --rate max for the window.
 */
type Target = 'edge' | 'producer' | 'broker';
type Tool = 'doctor' | 'flame';

const clinicBin = createRequire(import.meta.url).resolve('clinic/bin.js');
const resultsDir = fileURLToPath(new URL('../../bench/results/profiles/', import.meta.url));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** `clinic TOOL -- node tickstream ARGS`; clinic writes its report when the process ends. */
function underClinic(tool: Tool, args: string[]): { child: ChildProcess; done: Promise<void> } {
  const child = spawn(
    process.execPath,
    [clinicBin, tool, '--open=false', '--dest', resultsDir, '--', process.execPath, cli, ...args],
    { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, NO_INSIGHT: '1' } },
  );
  const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { child, done };
}

export async function profile(target: Target, tool: Tool, seconds: number): Promise<string[]> {
  mkdirSync(resultsDir, { recursive: true });
  const before = new Set(readdirSync(resultsDir));
  const dataDir = mkdtempSync(join(tmpdir(), 'tickstream-profile-'));
  const others: ChildProcess[] = [];
  try {
    if (target === 'broker') {
      const port = await freePort();
      const broker = underClinic(tool, ['broker', '--port', String(port), '--data-dir', dataDir]);
      await sleep(3000);
      const bootstrap = `127.0.0.1:${port}`;
      const producer = spawnCli(['producer', '--brokers', bootstrap, '--rate', 'max', '--duration', `${seconds}s`]);
      await new Promise((resolve) => producer.once('exit', resolve));
      broker.child.kill('SIGINT');
      await broker.done;
    } else {
      const broker = await startBrokerProcess(dataDir);
      try {
        if (target === 'producer') {
          const producer = underClinic(tool, [
            'producer',
            '--brokers',
            broker.bootstrap,
            '--rate',
            'max',
            '--duration',
            `${seconds}s`,
          ]);
          await producer.done;
        } else {
          const symbols = defaultEdgeBenchOptions.symbolCount;
          others.push(spawnProducer(broker.bootstrap, { symbols, rate: 20_000, workers: 1 }));
          await sleep(1500);
          const port = await freePort();
          const edge = underClinic(tool, [
            'edge',
            '--brokers',
            broker.bootstrap,
            '--port',
            String(port),
            '--host',
            '127.0.0.1',
            '--history',
            '0',
          ]);
          await waitForEdge(port, { timeoutMs: 120_000, child: edge.child });
          const body = (await (await fetch(`http://127.0.0.1:${port}/api/symbols`)).json()) as {
            symbols: { name: string }[];
          };
          const names = body.symbols.map((symbol) => symbol.name);
          const load = await startLoadGenerator(
            `ws://127.0.0.1:${port}/ws`,
            subscriptionsFor('pages', 1000, names, defaultEdgeBenchOptions),
            10,
            20,
            2,
          );
          await sleep(seconds * 1000);
          await load.close();
          edge.child.kill('SIGINT');
          await edge.done;
        }
      } finally {
        for (const child of others) await stopChild(child);
        await broker.close();
      }
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
  return readdirSync(resultsDir)
    .filter((name) => !before.has(name) && name.endsWith('.html'))
    .map((name) => join(resultsDir, name));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  // node bench/dist/profile.js edge|producer|broker [--tool doctor|flame] [--seconds 20]
  const [target, ...rest] = process.argv.slice(2);
  let tool: Tool = 'flame';
  let seconds = 20;
  const usage = (why: string): never => {
    process.stderr.write(
      `profile: ${why}\nusage: node bench/dist/profile.js edge|producer|broker [--tool doctor|flame] [--seconds 20]\n`,
    );
    process.exit(2);
  };
  if (target !== 'edge' && target !== 'producer' && target !== 'broker') usage(`unknown target '${target ?? ''}'`);
  for (let i = 0; i < rest.length; i += 2) {
    const [flag, value] = [rest[i], rest[i + 1]];
    if (flag === '--tool' && (value === 'doctor' || value === 'flame')) tool = value;
    else if (flag === '--seconds' && Number.isInteger(Number(value)) && Number(value) >= 5) seconds = Number(value);
    else usage(`bad option '${flag} ${value ?? ''}'`);
  }
  const reports = await profile(target as Target, tool, seconds);
  if (reports.length === 0) usage('clinic wrote no report (see its output above)');
  for (const report of reports) process.stdout.write(`report: ${report}\n`);
}
