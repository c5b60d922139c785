"""Produces records with given timestamps in one batch, then looks offsets up by timestamp (confluent-kafka / librdkafka).

Usage: timed_records.py BOOTSTRAP TOPIC CODEC < {"timestamps": [...], "targets": [...]}
Produces one keyed record per timestamp to partition 0 (lingering so they share a batch), then
asks offsets_for_times (ListOffsets) for each target. Prints one JSON object:
{"offsets": [offset per target, -1 when none]}. Exits 1 with the error text on failure.
"""
import json
import sys

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition


def main() -> None:
    bootstrap, topic, codec = sys.argv[1], sys.argv[2], sys.argv[3]
    given = json.load(sys.stdin)
    errors = []
    producer = Producer({
        "bootstrap.servers": bootstrap,
        "compression.type": codec,
        "acks": "all",
        "linger.ms": 1000,
        "batch.size": 4 * 1024 * 1024,
        "batch.num.messages": 100000,
    })

    def delivered(err, _msg):
        if err is not None:
            errors.append(str(err))

    for i, timestamp in enumerate(given["timestamps"]):
        producer.produce(topic, key=f"k{i % 50}", value=f"value-{i}", partition=0, timestamp=timestamp,
                         on_delivery=delivered)
    remaining = producer.flush(30)
    if remaining or errors:
        raise SystemExit(f"produce failed: {remaining} undelivered, errors {errors[:3]}")

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"{topic}-lookup"})
    offsets = []
    for target in given["targets"]:
        [found] = consumer.offsets_for_times([TopicPartition(topic, 0, target)], timeout=10)
        if found.error:
            raise SystemExit(f"offsets_for_times failed: {found.error}")
        offsets.append(found.offset)
    consumer.close()
    print(json.dumps({"offsets": offsets}))


if __name__ == "__main__":
    try:
        main()
    except KafkaException as error:
        raise SystemExit(f"KafkaException: {error}")
