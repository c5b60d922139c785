import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { cli, cpuSeconds, freePort, rssMb, stopChild } from './processes.js';
import { interleavedRuns, median } from './stats.js';

/**
 * How soon a spawned edge listens, and the CPU and memory it has used by then: what a restart,
 * `up --edges N` or a scale-out pays per edge. No Kafka is needed (an edge listens first and
 * then looks for Kafka), so the figure is the edge's own start. `edges` are builds'
 * `cli/bin/tickstream.js`, measured interleaved so a noisy machine hits them alike.
 */
export interface EdgeStartupResult {
  runs: number;
  /** Medians per build. */
  variants: ({ edge: string } & StartSample)[];
}

interface StartSample {
  listeningMs: number;
  cpuMs: number;
  rssMb: number;
}

async function startOnce(bin: string): Promise<StartSample> {
  const nowhere = await freePort();
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [bin, 'edge', '--brokers', `127.0.0.1:${nowhere}`, '--port', '0', '--history', '0'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  try {
    return await new Promise((resolve, reject) => {
      let output = '';
      const read = (chunk: Buffer): void => {
        output += chunk.toString();
        if (!output.includes(' listening on ')) return;
        const pid = child.pid ?? 0;
        resolve({ listeningMs: performance.now() - started, cpuMs: cpuSeconds(pid) * 1000, rssMb: rssMb(pid) });
      };
      child.stdout.on('data', read);
      child.stderr.on('data', read);
      child.once('exit', (code) => reject(new Error(`${bin} edge exited with ${code} before listening: ${output}`)));
    });
  } finally {
    await stopChild(child, 'SIGINT');
  }
}

export async function runEdgeStartupBench(options: { runs: number; edges: string[] }): Promise<EdgeStartupResult> {
  const samples = await interleavedRuns(options.runs, options.edges, (edge) => startOnce(edge));
  return {
    runs: options.runs,
    variants: options.edges.map((edge, i) => {
      const of = (pick: (sample: StartSample) => number): number => median((samples[i] ?? []).map(pick));
      return { edge, listeningMs: of((s) => s.listeningMs), cpuMs: of((s) => s.cpuMs), rssMb: of((s) => s.rssMb) };
    }),
  };
}

export function formatEdgeStartupBench(result: EdgeStartupResult): string {
  return [
    `edge start, medians of ${result.runs}: spawned → listening`,
    ...result.variants.map(
      (v) =>
        `  ${v.edge}: listening after ${Math.round(v.listeningMs)} ms, ${Math.round(v.cpuMs)} ms of CPU, ${Math.round(v.rssMb)} MB RSS`,
    ),
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  // node bench/dist/edge-startup.js [runs] [--edge PATH …]
  const args = process.argv.slice(2);
  const edges = args.flatMap((arg, i) => (args[i - 1] === '--edge' ? [arg] : []));
  const runs = Number(args[0] && !args[0].startsWith('--') ? args[0] : 5);
  const result = await runEdgeStartupBench({ runs, edges: edges.length > 0 ? edges : [cli] });
  process.stdout.write(`${formatEdgeStartupBench(result)}\n`);
}
