/**
 * The producer's market scenarios (`tickstream producer --scenario NAME`, docs/producer.md): one
 * list for the producer's options, its scenario player, and `tickstream chaos scenario`.
 */
export const MARKET_SCENARIOS = ['normal', 'burst', 'flash-crash', 'halt', 'news-spike', 'selloff'] as const;
export type MarketScenario = (typeof MARKET_SCENARIOS)[number];

/** The scenarios with an episode to play: every one but the plain model. */
export const EPISODE_SCENARIOS = MARKET_SCENARIOS.filter(
  (name): name is Exclude<MarketScenario, 'normal'> => name !== 'normal',
);
