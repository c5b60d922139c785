import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type SuiteResult, writeCharts } from './suite.js';

/**
 * Redraws the charts of a saved `tickstream bench` result without running it again:
 *
 *   node bench/dist/charts.js bench/results/latest.json [DIR]   # DIR: docs/img by default
 */
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [file, dir = fileURLToPath(new URL('../../docs/img/', import.meta.url))] = process.argv.slice(2);
  if (file === undefined) {
    process.stderr.write('usage: node bench/dist/charts.js RESULT.json [DIR]\n');
    process.exit(2);
  }
  let result: SuiteResult;
  try {
    result = JSON.parse(readFileSync(file, 'utf8')) as SuiteResult;
  } catch (error) {
    process.stderr.write(`cannot read ${file}: ${(error as Error).message}\n`);
    process.exit(2);
  }
  if (typeof result.benchmarks !== 'object' || result.benchmarks === null) {
    process.stderr.write(`${file} is not a tickstream bench result (no "benchmarks")\n`);
    process.exit(2);
  }
  for (const chart of writeCharts(result, dir)) process.stdout.write(`${chart}\n`);
}
