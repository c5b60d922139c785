// The market model: pure, seeded, no I/O. Producer workers run ShardGenerator; the parts are
// public for tests, benchmarks and other drivers.
export { TickGenerator, type TickGeneratorOptions, type TickSink } from './generator.js';
export {
  createTickOut,
  defaultModelOptions,
  type MarketControls,
  MarketModel,
  type ModelOptions,
  type TickOut,
  TRADING_SECONDS_PER_YEAR,
} from './model.js';
export { deriveSeed, Random } from './random.js';
export {
  defaultScenarioTiming,
  type EpisodeKind,
  type MarketEventOut,
  SCENARIO_KINDS,
  type ScenarioKind,
  ScenarioPlayer,
  type ScenarioTiming,
} from './scenarios.js';
export {
  type Clock,
  EXCHANGE_UTC_OFFSET_MS,
  formatExchangeTime,
  intradayVolumeFactor,
  nextOpen,
  RealClock,
  SESSION_PHASES,
  SessionAnnouncer,
  type SessionChangeOut,
  type SessionPeriod,
  type SessionPhase,
  SimClock,
  sessionAt,
  sessionPeriod,
} from './session.js';
export { ShardGenerator, type ShardOptions } from './shard.js';
export {
  buildUniverse,
  MAX_SYMBOLS,
  SECTORS,
  type Sector,
  SYMBOL_PATTERN,
  type Universe,
  type UniverseOptions,
} from './universe.js';
