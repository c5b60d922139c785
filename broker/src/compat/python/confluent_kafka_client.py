"""Produces with one compression codec, then consumes as a group and commits (confluent-kafka / librdkafka).

Usage: confluent_kafka_client.py BOOTSTRAP TOPIC GROUP CODEC COUNT
Prints one JSON object: produced, consumed values, committed offset sum. Exits 1 with the error text on failure.
"""
import json
import sys
import time

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition


def main() -> None:
    bootstrap, topic, group, codec, count = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
    errors = []
    producer = Producer({"bootstrap.servers": bootstrap, "compression.type": codec, "acks": "all", "linger.ms": 5})

    def delivered(err, _msg):
        if err is not None:
            errors.append(str(err))

    for i in range(count):
        producer.produce(topic, key=f"k{i}", value=f"{codec}-{i}", on_delivery=delivered)
    remaining = producer.flush(30)
    if remaining or errors:
        raise SystemExit(f"produce failed: {remaining} undelivered, errors {errors[:3]}")

    consumer = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": group,
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
    })
    consumer.subscribe([topic])
    values = []
    deadline = time.monotonic() + 60
    while len(values) < count and time.monotonic() < deadline:
        msg = consumer.poll(0.5)
        if msg is None:
            continue
        if msg.error():
            raise SystemExit(f"consume failed: {msg.error()}")
        values.append(msg.value().decode())
    consumer.commit(asynchronous=False)
    partitions = consumer.assignment()
    committed = consumer.committed(partitions, timeout=10)
    consumer.close()
    print(json.dumps({
        "produced": count,
        "values": sorted(values),
        "committed": sum(tp.offset for tp in committed if tp.offset >= 0),
    }))


if __name__ == "__main__":
    try:
        main()
    except KafkaException as error:
        raise SystemExit(f"KafkaException: {error}")
