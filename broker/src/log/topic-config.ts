/*
 * Per-topic configs: the names Apache Kafka 4.4 lists for a topic (DescribeConfigs), their
 * defaults, how each value is checked, and which ones this broker honours. A topic stores only
 * the values set for it (topics/<topic>/topic.json); everything else comes from the broker:
 * retention.ms, retention.bytes, segment.bytes and max.message.bytes from its flags, the rest
 * from Apache Kafka's defaults.
 *
 * Three kinds of config:
 * - honoured: the broker acts on the value (retention, segments, compaction, max message size);
 * - inert: meaningless on one node without replicas or index files (throttled replicas,
 *   unclean leader election, index sizes, preallocation…): any valid value is stored and shown;
 * - unsupported: only the default is accepted, anything else is INVALID_CONFIG naming the
 *   config, so nobody believes e.g. LogAppendTime or broker-side recompression is in force.
 */

/** DescribeConfigs config_type (clients/.../requests/DescribeConfigsResponse.java ConfigType). */
export const ConfigType = {
  boolean: 1,
  string: 2,
  int: 3,
  short: 4,
  long: 5,
  double: 6,
  list: 7,
} as const;
export type ConfigType = (typeof ConfigType)[keyof typeof ConfigType];

/** DescribeConfigs config_source. */
export const ConfigSource = {
  dynamicTopic: 1,
  staticBroker: 4,
  default: 5,
} as const;

export interface TopicSettings {
  compact: boolean;
  delete: boolean;
  retentionMs: number;
  retentionBytes: number;
  segmentBytes: number;
  segmentMs: number;
  maxMessageBytes: number;
  deleteRetentionMs: number;
  minCompactionLagMs: number;
  maxCompactionLagMs: number;
  minCleanableDirtyRatio: number;
}

/** The broker-wide values a topic inherits (from `tickstream broker` flags). */
export interface BrokerTopicDefaults {
  retentionMs: number;
  retentionBytes: number;
  segmentBytes: number;
  maxMessageBytes: number;
}

type Support = 'honoured' | 'inert' | 'unsupported';

interface ConfigDefinition {
  name: string;
  type: ConfigType;
  /** Apache Kafka's default, as DescribeConfigs shows it. */
  kafkaDefault: string;
  /** The broker config it inherits from, when the broker has one (DescribeConfigs synonyms). */
  brokerSynonym?: string;
  /** The broker flag that sets the inherited value, if any. */
  fromBroker?: keyof BrokerTopicDefaults;
  support: Support;
  /** A problem with `value`, or null when it is valid. */
  check(value: string): string | null;
  doc: string;
}

const LONG_MAX = '9223372036854775807';

const integerIn =
  (min: number, max = Number.MAX_SAFE_INTEGER) =>
  (value: string): string | null => {
    if (!/^-?\d+$/.test(value.trim())) return 'is not a whole number';
    const number = Number(value);
    if (value.trim() === LONG_MAX) return null;
    if (number < min) return `must be at least ${min}`;
    if (number > max) return `must be at most ${max}`;
    return null;
  };
const INT_MAX = 2_147_483_647;
const anyLong = integerIn(Number.MIN_SAFE_INTEGER);
const atLeast = (min: number) => integerIn(min);
const intAtLeast = (min: number) => integerIn(min, INT_MAX);
const ratio = (value: string): string | null => {
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number)) return 'is not a number';
  return number < 0 || number > 1 ? 'must be between 0 and 1' : null;
};
const bool = (value: string): string | null =>
  ['true', 'false'].includes(value.trim().toLowerCase()) ? null : 'must be true or false';
const listOf =
  (...choices: string[]) =>
  (value: string): string | null => {
    const items = splitList(value);
    const bad = items.find((item) => !choices.includes(item));
    return bad === undefined ? null : `'${bad}' is not one of ${choices.join(', ')}`;
  };
const anything = (): string | null => null;

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

const definitions: readonly ConfigDefinition[] = [
  {
    name: 'cleanup.policy',
    type: ConfigType.list,
    kafkaDefault: 'delete',
    brokerSynonym: 'log.cleanup.policy',
    support: 'honoured',
    check: listOf('compact', 'delete'),
    doc: 'delete: old segments go by retention.ms/retention.bytes; compact: the cleaner keeps the latest record per key; both, or neither (keep everything).',
  },
  {
    name: 'retention.ms',
    type: ConfigType.long,
    kafkaDefault: '604800000',
    brokerSynonym: 'log.retention.ms',
    fromBroker: 'retentionMs',
    support: 'honoured',
    check: atLeast(-1),
    doc: 'With cleanup.policy delete: a closed segment is deleted once its newest record is older than this; -1 keeps it forever.',
  },
  {
    name: 'retention.bytes',
    type: ConfigType.long,
    kafkaDefault: '-1',
    brokerSynonym: 'log.retention.bytes',
    fromBroker: 'retentionBytes',
    support: 'honoured',
    check: anyLong,
    doc: 'With cleanup.policy delete: oldest closed segments are deleted while a partition is larger than this; -1 is no limit.',
  },
  {
    name: 'segment.bytes',
    type: ConfigType.int,
    kafkaDefault: '1073741824',
    brokerSynonym: 'log.segment.bytes',
    fromBroker: 'segmentBytes',
    support: 'honoured',
    check: intAtLeast(1024 * 1024),
    doc: 'A new segment is started once the active one would grow past this size (at least 1 MiB, as in Apache Kafka 4).',
  },
  {
    name: 'segment.ms',
    type: ConfigType.long,
    kafkaDefault: '604800000',
    support: 'honoured',
    check: atLeast(1),
    doc: 'A new segment is started at the first append once the active segment’s first record is this old, so retention and compaction can reach it.',
  },
  {
    name: 'max.message.bytes',
    type: ConfigType.int,
    kafkaDefault: '1048588',
    brokerSynonym: 'message.max.bytes',
    fromBroker: 'maxMessageBytes',
    support: 'honoured',
    check: intAtLeast(0),
    doc: 'The largest record batch accepted for this topic.',
  },
  {
    name: 'delete.retention.ms',
    type: ConfigType.long,
    kafkaDefault: '86400000',
    brokerSynonym: 'log.cleaner.delete.retention.ms',
    support: 'honoured',
    check: atLeast(0),
    doc: 'On compacted topics: how long a tombstone (a record with a null value) stays after the cleaner first sees it, so consumers can read the delete.',
  },
  {
    name: 'min.compaction.lag.ms',
    type: ConfigType.long,
    kafkaDefault: '0',
    brokerSynonym: 'log.cleaner.min.compaction.lag.ms',
    support: 'honoured',
    check: atLeast(0),
    doc: 'On compacted topics: a record is never compacted away before it is this old.',
  },
  {
    name: 'max.compaction.lag.ms',
    type: ConfigType.long,
    kafkaDefault: LONG_MAX,
    brokerSynonym: 'log.cleaner.max.compaction.lag.ms',
    support: 'honoured',
    check: atLeast(1),
    doc: 'On compacted topics: a partition is cleaned once its oldest uncleaned record is this old, whatever min.cleanable.dirty.ratio says.',
  },
  {
    name: 'min.cleanable.dirty.ratio',
    type: ConfigType.double,
    kafkaDefault: '0.5',
    brokerSynonym: 'log.cleaner.min.cleanable.ratio',
    support: 'honoured',
    check: ratio,
    doc: 'On compacted topics: the cleaner runs once uncleaned bytes are at least this share of the cleanable log.',
  },
  // Meaningless on one node without replicas or index files: stored and shown, nothing else.
  inert('leader.replication.throttled.replicas', ConfigType.list, '', undefined, anything),
  inert('follower.replication.throttled.replicas', ConfigType.list, '', undefined, anything),
  inert('unclean.leader.election.enable', ConfigType.boolean, 'false', 'unclean.leader.election.enable', bool),
  inert('index.interval.bytes', ConfigType.int, '4096', 'log.index.interval.bytes', intAtLeast(0)),
  inert('segment.index.bytes', ConfigType.int, '10485760', 'log.index.size.max.bytes', intAtLeast(4)),
  inert('segment.jitter.ms', ConfigType.long, '0', undefined, atLeast(0)),
  inert('preallocate', ConfigType.boolean, 'false', 'log.preallocate', bool),
  inert('file.delete.delay.ms', ConfigType.long, '60000', 'log.segment.delete.delay.ms', atLeast(0)),
  // Not implemented: only the default is accepted.
  unsupported('compression.type', ConfigType.string, 'producer', 'compression.type'),
  unsupported('compression.gzip.level', ConfigType.int, '-1', 'compression.gzip.level'),
  unsupported('compression.lz4.level', ConfigType.int, '9', 'compression.lz4.level'),
  unsupported('compression.zstd.level', ConfigType.int, '3', 'compression.zstd.level'),
  unsupported('message.timestamp.type', ConfigType.string, 'CreateTime', 'log.message.timestamp.type'),
  unsupported('message.timestamp.after.max.ms', ConfigType.long, '3600000', 'log.message.timestamp.after.max.ms'),
  unsupported('message.timestamp.before.max.ms', ConfigType.long, LONG_MAX, 'log.message.timestamp.before.max.ms'),
  unsupported('min.insync.replicas', ConfigType.int, '1', 'min.insync.replicas'),
  unsupported('flush.messages', ConfigType.long, LONG_MAX, 'log.flush.interval.messages'),
  unsupported('flush.ms', ConfigType.long, LONG_MAX),
  unsupported('max.decompressed.message.bytes', ConfigType.int, '2147483639', 'max.decompressed.message.bytes'),
  unsupported('local.retention.ms', ConfigType.long, '-2', 'log.local.retention.ms'),
  unsupported('local.retention.bytes', ConfigType.long, '-2', 'log.local.retention.bytes'),
  unsupported('remote.storage.enable', ConfigType.boolean, 'false'),
  unsupported('remote.log.copy.disable', ConfigType.boolean, 'false'),
  unsupported('remote.log.delete.on.disable', ConfigType.boolean, 'false'),
  unsupported('remote.copy.lag.ms', ConfigType.long, '0', 'log.remote.copy.lag.ms'),
  unsupported('remote.copy.lag.bytes', ConfigType.long, '-1', 'log.remote.copy.lag.bytes'),
  unsupported('errors.deadletterqueue.group.enable', ConfigType.boolean, 'false'),
];

function inert(
  name: string,
  type: ConfigType,
  kafkaDefault: string,
  brokerSynonym: string | undefined,
  check: (value: string) => string | null,
): ConfigDefinition {
  return {
    name,
    type,
    kafkaDefault,
    ...(brokerSynonym === undefined ? {} : { brokerSynonym }),
    support: 'inert',
    check,
    doc: 'Accepted and shown for compatibility; it has no effect on a single node without replicas or index files.',
  };
}

function unsupported(name: string, type: ConfigType, kafkaDefault: string, brokerSynonym?: string): ConfigDefinition {
  return {
    name,
    type,
    kafkaDefault,
    ...(brokerSynonym === undefined ? {} : { brokerSynonym }),
    support: 'unsupported',
    check: (value) =>
      value.trim() === kafkaDefault ? null : `is not supported by the embedded broker (only ${kafkaDefault})`,
    doc: `Not implemented by the embedded broker: only the default (${kafkaDefault}) is accepted.`,
  };
}

const byName = new Map(definitions.map((definition) => [definition.name, definition]));

export const topicConfigNames: readonly string[] = definitions.map((definition) => definition.name);

/** Whether a config of this name is a list (IncrementalAlterConfigs APPEND/SUBTRACT apply to lists only). */
export function isListConfig(name: string): boolean {
  return byName.get(name)?.type === ConfigType.list;
}

/** The problem with setting `name` to `value` on a topic, as INVALID_CONFIG's message, or null. */
export function topicConfigProblem(name: string, value: string | null): string | null {
  const definition = byName.get(name);
  if (definition === undefined) return `Unknown topic config name: ${name}`;
  if (value === null) return `Null value not supported for topic config ${name}`;
  const problem = definition.check(value);
  return problem === null ? null : `Invalid value ${value} for configuration ${name}: ${problem}`;
}

/** The first problem among `configs`, or null when all are valid. */
export function topicConfigsProblem(configs: Readonly<Record<string, string | null>>): string | null {
  for (const [name, value] of Object.entries(configs)) {
    const problem = topicConfigProblem(name, value);
    if (problem !== null) return problem;
  }
  return null;
}

export interface DescribedConfig {
  name: string;
  value: string;
  source: number;
  type: ConfigType;
  doc: string;
  /** Where else the value could have come from, most specific first (DescribeConfigs synonyms). */
  synonyms: { name: string; value: string; source: number }[];
  /** True for configs that cannot be altered (the broker's own). */
  readOnly?: boolean;
}

function brokerValue(definition: ConfigDefinition, defaults: BrokerTopicDefaults): string {
  return definition.fromBroker === undefined ? definition.kafkaDefault : String(defaults[definition.fromBroker]);
}

/** Every topic config with its value and where that value comes from. */
export function describeTopicConfigs(
  overrides: Readonly<Record<string, string>>,
  defaults: BrokerTopicDefaults,
): DescribedConfig[] {
  return definitions.map((definition) => {
    const inherited = brokerValue(definition, defaults);
    // A broker flag left at Kafka's default reads as the default, as on an Apache Kafka left alone.
    const inheritedSource = inherited === definition.kafkaDefault ? ConfigSource.default : ConfigSource.staticBroker;
    const synonyms: DescribedConfig['synonyms'] = [];
    const override = overrides[definition.name];
    if (override !== undefined)
      synonyms.push({ name: definition.name, value: override, source: ConfigSource.dynamicTopic });
    if (definition.brokerSynonym !== undefined)
      synonyms.push({ name: definition.brokerSynonym, value: inherited, source: inheritedSource });
    return {
      name: definition.name,
      value: override ?? inherited,
      source: override === undefined ? inheritedSource : ConfigSource.dynamicTopic,
      type: definition.type,
      doc: definition.doc,
      synonyms,
    };
  });
}

/** The settings a topic's partitions run with: its own values over the broker's. */
export function topicSettings(
  overrides: Readonly<Record<string, string>>,
  defaults: BrokerTopicDefaults,
): TopicSettings {
  const value = (name: string): string => {
    const definition = byName.get(name) as ConfigDefinition;
    return overrides[name] ?? brokerValue(definition, defaults);
  };
  const number = (name: string): number => Number(value(name));
  const policy = splitList(value('cleanup.policy'));
  return {
    compact: policy.includes('compact'),
    delete: policy.includes('delete'),
    retentionMs: number('retention.ms'),
    retentionBytes: number('retention.bytes'),
    segmentBytes: number('segment.bytes'),
    segmentMs: number('segment.ms'),
    maxMessageBytes: number('max.message.bytes'),
    deleteRetentionMs: number('delete.retention.ms'),
    minCompactionLagMs: number('min.compaction.lag.ms'),
    maxCompactionLagMs: number('max.compaction.lag.ms'),
    minCleanableDirtyRatio: number('min.cleanable.dirty.ratio'),
  };
}

/** IncrementalAlterConfigs APPEND/SUBTRACT on a list config's current value. */
export function editList(current: string, items: string, operation: 'append' | 'subtract'): string {
  const now = splitList(current);
  const given = splitList(items);
  const next =
    operation === 'append'
      ? [...now, ...given.filter((item) => !now.includes(item))]
      : now.filter((item) => !given.includes(item));
  return next.join(',');
}

/** The value `name` has for a topic with these overrides (for list edits). */
export function currentValue(
  name: string,
  overrides: Readonly<Record<string, string>>,
  defaults: BrokerTopicDefaults,
): string {
  const definition = byName.get(name);
  if (definition === undefined) return '';
  return overrides[name] ?? brokerValue(definition, defaults);
}
