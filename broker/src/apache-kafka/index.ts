export {
  type ApacheKafka,
  type ApacheKafkaOptions,
  DEFAULT_KAFKA_VERSION,
  startApacheKafka,
} from './apache-kafka.js';
export { ApacheKafkaError, MissingPrerequisiteError } from './errors.js';
export { type ExtraListener, type KRaftNode, saslPlainListener } from './kraft-config.js';
export { describeMavenFailure, resolveKafkaJars } from './maven.js';
export { findJava, findMaven, findOnPath } from './prerequisites.js';
