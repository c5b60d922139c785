import {
  ConfigSource,
  ConfigType,
  currentValue,
  type DescribedConfig,
  describeTopicConfigs,
  editList,
  isListConfig,
  topicConfigsProblem,
} from '../log/topic-config.js';
import { ErrorCode } from '../protocol/errors.js';
import type { BrokerContext } from './api.js';

/*
 * The config resources DescribeConfigs, AlterConfigs and IncrementalAlterConfigs act on:
 * topics (read and written, log/topic-config.ts) and this broker (read-only: its settings come
 * from `tickstream broker` flags).
 */

export const ResourceType = { topic: 2, broker: 4 } as const;

export interface ResourceAnswer {
  errorCode: ErrorCode;
  message: string | null;
  configs: DescribedConfig[];
}

const failed = (errorCode: ErrorCode, message: string): ResourceAnswer => ({ errorCode, message, configs: [] });

/** Every config of a resource (only `keys` when given), or the error that names what is wrong. */
export function describeResource(
  broker: BrokerContext,
  type: number,
  name: string,
  keys: string[] | null,
): ResourceAnswer {
  let configs: DescribedConfig[];
  if (type === ResourceType.topic) {
    const overrides = broker.log.topicConfigs(name);
    if (overrides === undefined) return failed(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic '${name}' does not exist.`);
    configs = describeTopicConfigs(overrides, broker.log.brokerTopicDefaults);
  } else if (type === ResourceType.broker) {
    const problem = brokerNameProblem(broker, name);
    if (problem !== null) return failed(ErrorCode.INVALID_REQUEST, problem);
    configs = brokerConfigs(broker);
  } else {
    return failed(ErrorCode.INVALID_REQUEST, `Config resource type ${type} is not supported by the embedded broker.`);
  }
  return {
    errorCode: ErrorCode.NONE,
    message: null,
    configs: keys === null ? configs : configs.filter((c) => keys.includes(c.name)),
  };
}

function brokerNameProblem(broker: BrokerContext, name: string): string | null {
  return name === '' || name === String(broker.node.id)
    ? null
    : `Unexpected broker id, expected ${broker.node.id} or empty string, but received ${name}`;
}

/** The broker's settings, as Apache Kafka names them: read-only, from the command line. */
function brokerConfigs(broker: BrokerContext): DescribedConfig[] {
  const { config } = broker;
  const entries: [string, string, ConfigType][] = [
    ['node.id', String(broker.node.id), ConfigType.int],
    ['advertised.listeners', `PLAINTEXT://${broker.node.host}:${broker.node.port}`, ConfigType.string],
    ['log.dirs', config.dataDir, ConfigType.string],
    ['num.partitions', String(config.defaultPartitions), ConfigType.int],
    ['auto.create.topics.enable', String(config.autoCreateTopics), ConfigType.boolean],
    ['log.cleanup.policy', 'delete', ConfigType.list],
    ['log.retention.ms', String(config.retentionMs), ConfigType.long],
    ['log.retention.bytes', String(config.retentionBytes), ConfigType.long],
    ['log.segment.bytes', String(config.segmentBytes), ConfigType.int],
    ['message.max.bytes', String(config.maxMessageBytes), ConfigType.int],
    ['socket.request.max.bytes', String(config.maxRequestBytes), ConfigType.int],
    ['log.cleaner.backoff.ms', String(config.logCleanerBackoffMs), ConfigType.long],
    ['log.cleaner.dedupe.buffer.size', String(config.logCleanerDedupeBytes), ConfigType.long],
    ['group.initial.rebalance.delay.ms', String(config.groupInitialRebalanceDelayMs), ConfigType.int],
  ];
  return entries.map(([name, value, type]) => ({
    name,
    value,
    source: ConfigSource.staticBroker,
    type,
    doc: 'Set when the embedded broker starts (tickstream broker --help); read-only while it runs.',
    synonyms: [{ name, value, source: ConfigSource.staticBroker }],
    readOnly: true,
  }));
}

/**
 * Alters one resource of an AlterConfigs or IncrementalAlterConfigs request: a topic gets the
 * configs `topicConfigs` makes of the request's (checked as a whole before any applies), the
 * broker is read-only, other resource types are not supported.
 */
export function alterResource<C extends { name: string }>(
  broker: BrokerContext,
  resource: { type: number; name: string; configs: C[] },
  validateOnly: boolean,
  topicConfigs: (configs: C[]) => { configs: Record<string, string> } | { errorCode: ErrorCode; message: string },
): { errorCode: ErrorCode; message: string | null } {
  if (resource.type === ResourceType.topic) {
    const next = topicConfigs(resource.configs);
    return 'configs' in next ? alterTopic(broker, resource.name, next.configs, validateOnly) : next;
  }
  if (resource.type === ResourceType.broker) {
    const names = resource.configs.map((config) => config.name);
    return { errorCode: ErrorCode.INVALID_REQUEST, message: brokerReadOnly(broker, resource.name, names) };
  }
  return { errorCode: ErrorCode.INVALID_REQUEST, message: `Config resource type ${resource.type} is not supported.` };
}

/** Replaces a topic's set configs with `next` after checking them all. */
function alterTopic(
  broker: BrokerContext,
  name: string,
  next: Record<string, string>,
  validateOnly: boolean,
): { errorCode: ErrorCode; message: string | null } {
  if (broker.log.topicConfigs(name) === undefined) {
    return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, message: `Topic '${name}' does not exist.` };
  }
  const problem = topicConfigsProblem(next);
  if (problem !== null) return { errorCode: ErrorCode.INVALID_CONFIG, message: problem };
  if (!validateOnly) broker.log.setTopicConfigs(name, next);
  return { errorCode: ErrorCode.NONE, message: null };
}

/** Why a broker resource cannot be altered: its settings are the process's command line. */
function brokerReadOnly(broker: BrokerContext, name: string, configNames: string[]): string {
  return (
    brokerNameProblem(broker, name) ??
    `Cannot update these configs dynamically: ${configNames.join(', ')} (the embedded broker's settings are its command-line flags)`
  );
}

export const AlterOperation = { set: 0, delete: 1, append: 2, subtract: 3 } as const;

/** IncrementalAlterConfigs: the topic's set configs after these operations, or the error. */
export function incrementalTopicConfigs(
  broker: BrokerContext,
  name: string,
  operations: { name: string; operation: number; value: string | null }[],
): { configs: Record<string, string> } | { errorCode: ErrorCode; message: string } {
  const current = broker.log.topicConfigs(name);
  if (current === undefined)
    return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, message: `Topic '${name}' does not exist.` };
  const seen = new Set<string>();
  const next: Record<string, string> = { ...current };
  for (const { name: config, operation, value } of operations) {
    if (seen.has(config))
      return { errorCode: ErrorCode.INVALID_REQUEST, message: `Error due to duplicate config keys: ${config}` };
    seen.add(config);
    switch (operation) {
      case AlterOperation.set:
        if (value === null)
          return { errorCode: ErrorCode.INVALID_REQUEST, message: `Null value not supported for: ${config}` };
        next[config] = value;
        break;
      case AlterOperation.delete:
        delete next[config];
        break;
      case AlterOperation.append:
      case AlterOperation.subtract: {
        if (!isListConfig(config)) {
          return {
            errorCode: ErrorCode.INVALID_CONFIG,
            message: `Config value append/subtract is not allowed for config ${config}`,
          };
        }
        const kind = operation === AlterOperation.append ? 'append' : 'subtract';
        next[config] = editList(currentValue(config, next, broker.log.brokerTopicDefaults), value ?? '', kind);
        break;
      }
      default:
        return { errorCode: ErrorCode.INVALID_REQUEST, message: `Unknown config operation ${operation} for ${config}` };
    }
  }
  return { configs: next };
}
