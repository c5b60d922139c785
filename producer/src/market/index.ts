export { ShardGenerator, type ShardOptions } from './generator.js';
export { defaultModelOptions, emptyTick, MarketModel, type ModelOptions, TRADING_SECONDS_PER_YEAR } from './model.js';
export { Random } from './random.js';
export {
  defaultScenarioTiming,
  type MarketEventOut,
  type ScenarioKind,
  ScenarioPlayer,
  type ScenarioTiming,
} from './scenarios.js';
export {
  type Clock,
  EXCHANGE_UTC_OFFSET_MS,
  intradayActivity,
  nextOpen,
  RealClock,
  type SessionPhase,
  SimClock,
  sessionAt,
} from './session.js';
export { buildUniverse, MAX_SYMBOLS, SECTORS, type Universe, type UniverseOptions } from './universe.js';
