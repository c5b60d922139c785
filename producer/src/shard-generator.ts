import { buildUniverse, RealClock, ShardGenerator, SimClock } from './market/index.js';
import type { ShardTask } from './shard-protocol.js';

/** The market shard a worker task plays, built the same way in every worker. */
export function createShardGenerator(task: ShardTask): ShardGenerator {
  const universe = buildUniverse({ symbols: task.symbols, symbolCount: task.symbolCount, seed: task.seed });
  return new ShardGenerator({
    universe,
    shard: task.shard,
    shardCount: task.shardCount,
    seed: task.seed,
    volatility: task.volatility,
    scenario: task.scenario,
    ...(task.scenarioTiming ? { timing: task.scenarioTiming } : {}),
    // Every shard's sim clock starts at the same instant: the task carries it.
    clock:
      task.clock === 'sim'
        ? new SimClock(task.clockSpeed, task.simStartMs, Date.now, task.wallStartMs)
        : new RealClock(),
  });
}
