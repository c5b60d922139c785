"""Produces, then consumes as a group and commits, with kafka-python (2.0.2 picks API versions by an inferred release).

Usage: kafka_python_client.py BOOTSTRAP TOPIC GROUP COUNT
Prints one JSON object: produced, consumed values, committed offset sum. Exits 1 with the error text on failure.
"""
import json
import sys
import time

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.errors import KafkaError


def main() -> None:
    bootstrap, topic, group, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", request_timeout_ms=20000, max_block_ms=20000)
    futures = [producer.send(topic, key=f"k{i}".encode(), value=f"kp-{i}".encode()) for i in range(count)]
    for future in futures:
        future.get(timeout=30)
    producer.close()

    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    values = []
    deadline = time.monotonic() + 60
    while len(values) < count and time.monotonic() < deadline:
        for records in consumer.poll(timeout_ms=500).values():
            values.extend(record.value.decode() for record in records)
    consumer.commit()
    committed = sum(consumer.committed(tp) or 0 for tp in consumer.assignment())
    consumer.close()
    print(json.dumps({"produced": count, "values": sorted(values), "committed": committed}))


if __name__ == "__main__":
    try:
        main()
    except KafkaError as error:
        raise SystemExit(f"{type(error).__name__}: {error}")
