// Checks bench/results/latest.json after `tickstream bench --quick`: every benchmark ran and every
// figure is a finite number (quick runs have no timing thresholds). Exit 0 when valid; otherwise
// prints what is wrong on stderr and the names of the benchmarks to run again, comma-separated, on
// stdout (nothing when no results were written: run them all again), and exits 1.
import { existsSync, readFileSync } from 'node:fs';

const latest = new URL('../bench/results/latest.json', import.meta.url);
if (!existsSync(latest)) {
  console.error('bench results invalid: bench/results/latest.json was not written');
  process.exit(1); // nothing on stdout: run every benchmark again
}
const results = JSON.parse(readFileSync(latest, 'utf8'));
const bad = new Map();
for (const [name, reason] of Object.entries(results.failures)) bad.set(name, `failed: ${reason}`);
for (const [name, benchmark] of Object.entries(results.benchmarks)) {
  const labels = benchmark.figures.filter((figure) => !Number.isFinite(figure.value)).map((figure) => figure.label);
  if (labels.length > 0) bad.set(name, `not a number: ${labels.join(', ')}`);
}
if (bad.size === 0) {
  console.error(`bench results valid: ${Object.keys(results.benchmarks).join(', ')}`);
  process.exit(0);
}
for (const [name, why] of bad) console.error(`bench result invalid: ${name}: ${why}`);
console.log([...bad.keys()].join(','));
process.exit(1);
