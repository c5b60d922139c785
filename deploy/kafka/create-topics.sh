#!/bin/bash
# topic-init of docker-compose.yml: creates the ticks and market_events topics once Kafka answers.
# Idempotent (--if-not-exists), so a second `docker compose up` changes nothing.
set -euo pipefail
topics=/opt/kafka/bin/kafka-topics.sh
for attempt in $(seq 1 30); do
  "$topics" --bootstrap-server "$KAFKA_BROKERS" --list > /dev/null 2>&1 && break
  echo "topic-init: Kafka at $KAFKA_BROKERS not answering yet (attempt $attempt)"
  sleep 2
done
create() {
  "$topics" --bootstrap-server "$KAFKA_BROKERS" --create --if-not-exists --topic "$1" \
    --partitions "$2" --replication-factor "$KAFKA_REPLICATION" --config "min.insync.replicas=$KAFKA_MIN_INSYNC"
}
create "$TICK_TOPIC" "$TICK_PARTITIONS"
create "$EVENTS_TOPIC" 1
"$topics" --bootstrap-server "$KAFKA_BROKERS" --describe --topic "$TICK_TOPIC"
