"""One member of a KIP-848 consumer group (group.protocol=consumer) through librdkafka (confluent-kafka).

Usage: consumer_protocol_member.py BOOTSTRAP TOPIC GROUP [ASSIGNOR]
Prints one JSON object per line, as ConsumerProtocolMember.java does: {"event":"started"} once subscribed,
{"event":"assigned","partitions":[..]} whenever its assignment changes, {"event":"committed","records":N}
after each synchronous commit of what it read, {"event":"error","message":..} on a fatal error.
A line "close" on stdin (or stdin closing) makes it leave the group cleanly ({"event":"closed"}).
"""
import json
import sys
import threading

from confluent_kafka import Consumer, KafkaError, KafkaException


def say(**event) -> None:
    print(json.dumps(event), flush=True)


def main() -> None:
    bootstrap, topic, group = sys.argv[1], sys.argv[2], sys.argv[3]
    config = {
        "bootstrap.servers": bootstrap,
        "group.id": group,
        "group.protocol": "consumer",
        "client.id": f"compat-py-{__import__('os').getpid()}",
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
    }
    if len(sys.argv) > 4:
        config["group.remote.assignor"] = sys.argv[4]
    fatal = []

    def on_error(error: KafkaError) -> None:
        if error.fatal() or error.code() in (KafkaError.UNSUPPORTED_ASSIGNOR, KafkaError.INVALID_REQUEST):
            fatal.append(str(error))

    config["error_cb"] = on_error
    consumer = Consumer(config)
    closing = threading.Event()

    def watch_stdin() -> None:
        for line in sys.stdin:
            if line.strip() == "close":
                break
        closing.set()

    threading.Thread(target=watch_stdin, daemon=True).start()
    consumer.subscribe([topic])
    say(event="started")
    reported = None
    records = 0
    try:
        while not closing.is_set():
            if fatal:
                raise KafkaException(fatal[0])
            message = consumer.poll(0.2)
            owned = sorted(tp.partition for tp in consumer.assignment())
            if owned != reported:
                reported = owned
                say(event="assigned", partitions=owned)
            if message is None:
                continue
            if message.error():
                if message.error().code() == KafkaError._PARTITION_EOF:
                    continue
                raise KafkaException(message.error())
            records += 1
            consumer.commit(message=message, asynchronous=False)
            say(event="committed", records=records)
    except KafkaException as error:
        say(event="error", message=str(error))
        sys.exit(1)
    consumer.close()
    say(event="closed")


if __name__ == "__main__":
    main()
