import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/**
 * Reads a V8 `.cpuprofile` (from `node --cpu-prof`) and names where the time went: self time per
 * function and per source file or package, as shares of all samples. Used on the edge under
 * the edge benchmark's load (`node bench/dist/edge.js … --cpu-prof DIR`).
 */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface CostLine {
  name: string;
  micros: number;
  share: number;
}

/** Where a URL's code lives: `pkg` for node_modules, the workspace-relative path otherwise. */
function origin(url: string): string {
  if (url === '') return '(native / V8)';
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + '/node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? url);
  }
  if (url.startsWith('node:')) return url;
  const match = url.match(/\/(schemas|broker|producer|edge|cli|bench)\/dist\/(.+)$/);
  return match ? `${match[1]}/${match[2]}` : url;
}

export function summarizeProfile(profile: CpuProfile): { total: number; functions: CostLine[]; origins: CostLine[] } {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i] as number;
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const functions = new Map<string, number>();
  const origins = new Map<string, number>();
  let total = 0;
  for (const [id, micros] of self) {
    const frame = byId.get(id)?.callFrame;
    if (frame === undefined) continue;
    total += micros;
    // V8's own buckets: (idle), (program), (garbage collector).
    const place = frame.url === '' && frame.functionName.startsWith('(') ? frame.functionName : origin(frame.url);
    const name = `${frame.functionName || '(anonymous)'}  ${place}${frame.url === '' ? '' : `:${frame.lineNumber + 1}`}`;
    functions.set(name, (functions.get(name) ?? 0) + micros);
    origins.set(place, (origins.get(place) ?? 0) + micros);
  }
  const lines = (map: Map<string, number>): CostLine[] =>
    [...map].map(([name, micros]) => ({ name, micros, share: micros / total })).sort((a, b) => b.micros - a.micros);
  return { total, functions: lines(functions), origins: lines(origins) };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  // node bench/dist/cpu-profile.js FILE.cpuprofile [top]
  const file = process.argv[2];
  if (file === undefined) {
    process.stderr.write('usage: node bench/dist/cpu-profile.js FILE.cpuprofile [top]\n');
    process.exit(2);
  }
  const top = Number(process.argv[3] ?? 25);
  const summary = summarizeProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile);
  const percent = (share: number): string => `${(share * 100).toFixed(1).padStart(5)} %`;
  const out = [`${file}: ${(summary.total / 1e6).toFixed(1)} s sampled`, '', 'self time by function:'];
  for (const line of summary.functions.slice(0, top)) out.push(`${percent(line.share)}  ${line.name}`);
  out.push('', 'self time by file or package:');
  for (const line of summary.origins.slice(0, 15)) out.push(`${percent(line.share)}  ${line.name}`);
  process.stdout.write(`${out.join('\n')}\n`);
}
