import { BENCHMARKS, parseBenchmarkList } from '@tickstream/bench/benchmark-names';
import type { Command } from '../command.js';
import { UsageError } from '../usage-error.js';

export const benchCommand: Command = {
  name: 'bench',
  summary:
    'Run the benchmarks (medians of 5 runs; one short run each with --quick): a table, bench/results/*.json and charts.',
  flags: {
    quick: {
      type: 'boolean',
      description: 'fewer and shorter runs: checks that every benchmark completes (CI smoke test)',
    },
    only: {
      type: 'string',
      value: 'NAME,…',
      description: `only these: ${BENCHMARKS.join(', ')} (dashboard: the old name of dashboard-loaded)`,
    },
    anchors: {
      type: 'string',
      value: 'DIR',
      description:
        "render's reference harnesses (default: $TICKSTREAM_ANCHORS, else ../shared/anchors/dashboard beside the repository)",
    },
  },
  notes:
    'Results: bench/results/<timestamp>.json and bench/results/latest.json. Charts: docs/img/bench-*.svg\n' +
    '(bench/results/img/ with --quick). docs/benchmarks.md explains every figure.',
  async run(flags) {
    let only = [...BENCHMARKS];
    const list = flags.string('only');
    if (list !== undefined) {
      try {
        only = parseBenchmarkList(list);
      } catch (error) {
        throw new UsageError(`--only: ${(error as Error).message}`);
      }
    }
    // Loaded here, not at the top: only this command needs the benchmarks' dependencies.
    const { formatSuite, runSuite } = await import('@tickstream/bench');
    const { result, resultPath, charts } = await runSuite({
      quick: flags.boolean('quick'),
      only,
      anchorsDir: flags.string('anchors'),
    });
    process.stdout.write(
      `${formatSuite(result)}\n\nresults: ${resultPath}\ncharts: ${charts.length} in ${charts[0]?.replace(/\/[^/]*$/, '') ?? '-'}\n`,
    );
    // throughput's own table (every figure beside its reference and floor), then render's last, so
    // its output ends with its one-line summary (issue 25's contract).
    const throughput = result.benchmarks.throughput;
    if (throughput !== undefined) process.stdout.write(`\n${throughput.text}\n`);
    const render = result.benchmarks.render;
    if (render !== undefined) process.stdout.write(`\n${render.text}\n`);
    return Object.keys(result.failures).length === 0 ? 0 : 1;
  },
};
