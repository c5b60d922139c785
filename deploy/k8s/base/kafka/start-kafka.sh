#!/bin/sh
# Starts one combined broker+controller of the Kafka StatefulSet (docs/operations.md,
# "Kubernetes"): node id from the pod's ordinal, the quorum from the replica count, config
# written to an emptyDir (the root filesystem is read-only), storage formatted on first start.
set -eu
ordinal="${HOSTNAME##*-}"
node_id=$((ordinal + 1))
voters=""
i=0
while [ "$i" -lt "$KAFKA_REPLICAS" ]; do
  voters="${voters:+$voters,}$((i + 1))@kafka-$i.kafka.$POD_NAMESPACE.svc:9093"
  i=$((i + 1))
done
config=/var/run/kafka/server.properties
cat > "$config" <<PROPERTIES
process.roles=broker,controller
node.id=$node_id
controller.quorum.voters=$voters
listeners=PLAINTEXT://:9092,CONTROLLER://:9093
advertised.listeners=PLAINTEXT://kafka-$ordinal.kafka.$POD_NAMESPACE.svc:9092
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=/var/lib/kafka/data
num.partitions=6
default.replication.factor=$KAFKA_REPLICATION
min.insync.replicas=$KAFKA_MIN_INSYNC
offsets.topic.replication.factor=$KAFKA_REPLICATION
transaction.state.log.replication.factor=$KAFKA_REPLICATION
transaction.state.log.min.isr=$KAFKA_MIN_INSYNC
PROPERTIES
if [ ! -f /var/lib/kafka/data/meta.properties ]; then
  /opt/kafka/bin/kafka-storage.sh format --cluster-id "$KAFKA_CLUSTER_ID" --config "$config"
fi
exec /opt/kafka/bin/kafka-server-start.sh "$config"
