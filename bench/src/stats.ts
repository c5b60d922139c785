/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** Runs `measure` `runs` times and returns every run plus the median. */
export async function medianOf(
  runs: number,
  measure: () => number | Promise<number>,
): Promise<{ runs: number[]; median: number }> {
  const results: number[] = [];
  for (let i = 0; i < runs; i++) results.push(await measure());
  return { runs: results, median: median(results) };
}

/**
 * Measures every variant `runs` times, interleaved (run 1 of each, then run 2 of each…), so drift
 * on a shared machine hits every variant alike. Returns the samples per variant, in order.
 */
export async function interleavedRuns<Variant, Sample>(
  runs: number,
  variants: readonly Variant[],
  measure: (variant: Variant, run: number) => Promise<Sample>,
): Promise<Sample[][]> {
  const samples = variants.map(() => [] as Sample[]);
  for (let run = 0; run < runs; run++) {
    for (const [index, variant] of variants.entries()) samples[index]?.push(await measure(variant, run));
  }
  return samples;
}

/** The value below which `p` % of `values` lie (nearest rank); NaN for no values. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}
