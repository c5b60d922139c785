/**
 * The benchmarks of `tickstream bench`, in the order they run. Apart from the suite so the CLI
 * can list and check them without loading every benchmark's dependencies (Playwright,
 * autocannon, Socket.IO: about 1.5 s and 110 MB that every other command would carry).
 */
export const BENCHMARKS = [
  'codec',
  'broker',
  'transactions',
  'compaction',
  'producer',
  'edge',
  'e2e',
  'baseline',
  'http',
  'orders',
  'dashboard',
  'analytics',
  'fills',
] as const;
export type BenchmarkName = (typeof BENCHMARKS)[number];

export function parseBenchmarkList(list: string): BenchmarkName[] {
  const names = list.split(',').map((name) => name.trim());
  const unknown = names.filter((name) => !(BENCHMARKS as readonly string[]).includes(name));
  if (unknown.length > 0)
    throw new RangeError(`unknown benchmark ${unknown.join(', ')} (one of ${BENCHMARKS.join(', ')})`);
  return names as BenchmarkName[];
}
