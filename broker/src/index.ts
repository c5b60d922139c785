// @tickstream/broker: Kafka for tickstream — the embedded broker that speaks the Kafka wire
// protocol, and Apache Kafka itself run from Maven Central jars.
export * from './apache-kafka/index.js';
export { type RunningBroker, startBroker } from './broker.js';
export { type BrokerConfig, defaultBrokerConfig } from './config.js';
