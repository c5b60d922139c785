"""Transactions through confluent-kafka (librdkafka): commit/abort, or fencing by a second producer.

Usage: confluent_kafka_transactions.py commit-abort BOOTSTRAP TOPIC PARTITIONS TRANSACTIONAL_ID
       confluent_kafka_transactions.py fence        BOOTSTRAP TOPIC PARTITIONS TRANSACTIONAL_ID
Prints one JSON object. Exits 1 with the error text on failure.

commit-abort: commits a transaction, aborts one, commits one, then reads the topic back with
read_committed and with read_uncommitted consumers.
fence: a second producer with the same transactional.id initialises while the first has a
transaction open; the first's commit must fail as fenced, the second's transaction commits.
Every run ends with a committed transaction writing "end" to each partition, so a reader knows
it has seen everything before it.
"""
import json
import sys
import time

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition

TIMEOUT_S = 30


def producer(bootstrap, transactional_id):
    p = Producer({"bootstrap.servers": bootstrap, "transactional.id": transactional_id, "linger.ms": 5})
    p.init_transactions(TIMEOUT_S)
    return p


def transaction(p, topic, partitions, values, commit=True):
    p.begin_transaction()
    for i, value in enumerate(values):
        p.produce(topic, key=f"k{i}", value=value, partition=i % partitions)
    # Delivered before the end either way: an abort would drop what is still queued unsent.
    if p.flush(TIMEOUT_S) > 0:
        raise SystemExit("records still undelivered before the end of the transaction")
    if commit:
        p.commit_transaction(TIMEOUT_S)
    else:
        p.abort_transaction(TIMEOUT_S)


def end_every_partition(p, topic, partitions):
    p.begin_transaction()
    for partition in range(partitions):
        p.produce(topic, value="end", partition=partition)
    p.commit_transaction(TIMEOUT_S)


def read(bootstrap, topic, partitions, isolation):
    consumer = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": f"reader-{isolation}-{time.time_ns()}",
        "isolation.level": isolation,
        "enable.auto.commit": False,
    })
    consumer.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
    values, ended = [], set()
    deadline = time.monotonic() + TIMEOUT_S
    while len(ended) < partitions:
        if time.monotonic() > deadline:
            raise SystemExit(f"{isolation} reader saw the end of only {sorted(ended)} after {len(values)} values")
        msg = consumer.poll(0.5)
        if msg is None:
            continue
        if msg.error():
            raise SystemExit(f"{isolation} reader failed: {msg.error()}")
        value = msg.value().decode()
        if value == "end":
            ended.add(msg.partition())
        else:
            values.append(value)
    consumer.close()
    return sorted(values)


def commit_abort(bootstrap, topic, partitions, transactional_id):
    p = producer(bootstrap, transactional_id)
    committed, aborted = [], []
    for name, commit in (("first", True), ("second", False), ("third", True)):
        values = [f"{name}-{i}" for i in range(6)]
        transaction(p, topic, partitions, values, commit)
        (committed if commit else aborted).extend(values)
    end_every_partition(p, topic, partitions)
    return {
        "committed": sorted(committed),
        "aborted": sorted(aborted),
        "read_committed": read(bootstrap, topic, partitions, "read_committed"),
        "read_uncommitted": read(bootstrap, topic, partitions, "read_uncommitted"),
    }


def fence(bootstrap, topic, partitions, transactional_id):
    zombie = producer(bootstrap, transactional_id)
    zombie.begin_transaction()
    zombie.produce(topic, value="zombie", partition=0)
    zombie.flush(TIMEOUT_S)
    newcomer = producer(bootstrap, transactional_id)  # fences the zombie and aborts its transaction
    zombie_error = None
    try:
        zombie.commit_transaction(TIMEOUT_S)
    except KafkaException as error:
        e = error.args[0]
        zombie_error = {"name": e.name(), "fatal": e.fatal(), "text": e.str()}
    transaction(newcomer, topic, partitions, ["newcomer"])
    end_every_partition(newcomer, topic, partitions)
    return {"zombie_error": zombie_error, "read_committed": read(bootstrap, topic, partitions, "read_committed")}


def main():
    mode, bootstrap, topic, partitions, transactional_id = sys.argv[1:6]
    run = {"commit-abort": commit_abort, "fence": fence}[mode]
    print(json.dumps(run(bootstrap, topic, int(partitions), transactional_id)))


if __name__ == "__main__":
    try:
        main()
    except KafkaException as error:
        raise SystemExit(f"KafkaException: {error}")
