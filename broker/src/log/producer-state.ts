import { ErrorCode } from '../protocol/errors.js';

/** How many recent batches per producer are remembered to recognise a retried one (Kafka keeps 5). */
const REMEMBERED_BATCHES = 5;

interface RememberedBatch {
  firstSequence: number;
  lastSequence: number;
  baseOffset: number;
}

interface ProducerEntry {
  epoch: number;
  batches: RememberedBatch[];
  /** Max timestamp of its last batch or marker here, or -1. */
  lastTimestamp: number;
  /** Coordinator epoch of its last transaction marker here, or -1 before any. */
  coordinatorEpoch: number;
  /** Offset of its last transaction marker here, or -1 before any. */
  lastMarkerOffset: number;
}

/** A producer as DescribeProducers reports it. */
export interface ProducerDescription {
  producerId: number;
  producerEpoch: number;
  lastSequence: number;
  lastTimestamp: number;
  coordinatorEpoch: number;
}

export type SequenceCheck =
  | { kind: 'append' }
  | { kind: 'duplicate'; baseOffset: number }
  | { kind: 'reject'; errorCode: ErrorCode; message: string };

/**
 * Idempotent-producer bookkeeping for one partition: per producer id, its epoch and the
 * sequence ranges of its last five batches. A retried batch is answered with the offset it
 * got the first time instead of being appended twice.
 */
export class ProducerState {
  private readonly producers = new Map<number, ProducerEntry>();

  check(producerId: number, epoch: number, firstSequence: number, recordCount: number): SequenceCheck {
    if (producerId < 0) return { kind: 'append' };
    const entry = this.producers.get(producerId);
    if (entry === undefined) {
      // A producer new to this partition (or whose state was lost) starts anywhere: Kafka
      // accepts it too once the producer id is known to the coordinator.
      return { kind: 'append' };
    }
    if (epoch < entry.epoch) {
      return {
        kind: 'reject',
        errorCode: ErrorCode.INVALID_PRODUCER_EPOCH,
        message: `epoch ${epoch} is older than ${entry.epoch}`,
      };
    }
    if (epoch > entry.epoch) {
      if (firstSequence !== 0) {
        return {
          kind: 'reject',
          errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
          message: `a new epoch must start at sequence 0, not ${firstSequence}`,
        };
      }
      return { kind: 'append' };
    }
    const lastSequence = firstSequence + recordCount - 1;
    const duplicate = entry.batches.find(
      (batch) => batch.firstSequence === firstSequence && batch.lastSequence === lastSequence,
    );
    if (duplicate) return { kind: 'duplicate', baseOffset: duplicate.baseOffset };
    const latest = entry.batches[entry.batches.length - 1];
    const expected = latest === undefined ? 0 : (latest.lastSequence + 1) % 2_147_483_648;
    if (firstSequence !== expected) {
      return {
        kind: 'reject',
        errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
        message: `sequence ${firstSequence} arrived where ${expected} was expected`,
      };
    }
    return { kind: 'append' };
  }

  /** The epoch last seen from the producer here, if any. */
  epochOf(producerId: number): number | undefined {
    return this.producers.get(producerId)?.epoch;
  }

  /**
   * A transaction marker carries the producer's epoch: a newer one (the coordinator fenced the
   * producer) replaces the entry, so batches of the older epoch are refused from then on.
   * Markers carry no sequence and leave the remembered batches alone otherwise.
   */
  recordMarker(producerId: number, epoch: number, coordinatorEpoch: number, timestamp: number, offset: number): void {
    let entry = this.producers.get(producerId);
    if (entry === undefined || epoch > entry.epoch) {
      entry = { epoch, batches: [], lastTimestamp: -1, coordinatorEpoch: -1, lastMarkerOffset: -1 };
      this.producers.set(producerId, entry);
    }
    entry.coordinatorEpoch = coordinatorEpoch;
    entry.lastTimestamp = timestamp;
    entry.lastMarkerOffset = offset;
  }

  record(
    producerId: number,
    epoch: number,
    firstSequence: number,
    recordCount: number,
    baseOffset: number,
    timestamp: number,
  ): void {
    if (producerId < 0) return;
    let entry = this.producers.get(producerId);
    if (entry === undefined || epoch > entry.epoch) {
      entry = {
        epoch,
        batches: [],
        lastTimestamp: -1,
        coordinatorEpoch: entry?.coordinatorEpoch ?? -1,
        lastMarkerOffset: entry?.lastMarkerOffset ?? -1,
      };
      this.producers.set(producerId, entry);
    }
    entry.batches.push({ firstSequence, lastSequence: firstSequence + recordCount - 1, baseOffset });
    if (entry.batches.length > REMEMBERED_BATCHES) entry.batches.shift();
    entry.lastTimestamp = timestamp;
  }

  /** Every producer seen here (none expire: Apache Kafka forgets them after producer.id.expiration.ms). */
  describe(): ProducerDescription[] {
    return [...this.producers].map(([producerId, entry]) => ({
      producerId,
      producerEpoch: entry.epoch,
      lastSequence: entry.batches[entry.batches.length - 1]?.lastSequence ?? -1,
      lastTimestamp: entry.lastTimestamp,
      coordinatorEpoch: entry.coordinatorEpoch,
    }));
  }

  /**
   * The base offset of every producer's latest batch, or of its last marker when a marker bumped
   * its epoch after its last batch: the log cleaner keeps these (emptied if need be), so a restart
   * finds each producer's sequence and epoch again (Apache Kafka's lastRecordsOfActiveProducers).
   */
  lastBatchOffsets(): number[] {
    const offsets: number[] = [];
    for (const entry of this.producers.values()) {
      const latest = entry.batches[entry.batches.length - 1];
      if (latest !== undefined) offsets.push(latest.baseOffset);
      else if (entry.lastMarkerOffset >= 0) offsets.push(entry.lastMarkerOffset);
    }
    return offsets;
  }
}
