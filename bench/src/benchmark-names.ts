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
  'dashboard-loaded',
  'render',
  'analytics',
  'alert-rules',
  'fills',
  'replay',
  'throughput',
] as const;
export type BenchmarkName = (typeof BENCHMARKS)[number];

/**
 * Earlier names still accepted: `dashboard` measured the page on the same 2 cores as the broker,
 * producer and edge, which is what `dashboard-loaded` says now (issue 25; `render` measures the
 * page alone).
 */
const RENAMED: Readonly<Record<string, BenchmarkName>> = { dashboard: 'dashboard-loaded' };

export function parseBenchmarkList(list: string): BenchmarkName[] {
  const names = list.split(',').map((name) => RENAMED[name.trim()] ?? name.trim());
  const unknown = names.filter((name) => !(BENCHMARKS as readonly string[]).includes(name));
  if (unknown.length > 0)
    throw new RangeError(`unknown benchmark ${unknown.join(', ')} (one of ${BENCHMARKS.join(', ')})`);
  return names as BenchmarkName[];
}
