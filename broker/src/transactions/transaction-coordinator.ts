import { join } from 'node:path';
import type { BrokerConfig } from '../config.js';
import type { GroupCoordinator } from '../groups/index.js';
import type { LogManager, PartitionLog } from '../log/index.js';
import { ErrorCode } from '../protocol/errors.js';
import { type Durability, TransactionLog } from './transaction-log.js';
import {
  isEpochExhausted,
  MAX_PRODUCER_EPOCH,
  partitionKey,
  type StagedOffset,
  type TopicPartition,
  TRANSACTION_STATES,
  type TransactionRecord,
  type TransactionState,
} from './transaction-state.js';

/*
 * The transaction coordinator (KIP-98), after Apache Kafka's TransactionCoordinator.scala:
 * this node coordinates every transactional id. All transaction state lives here and changes
 * only through these methods; the API handlers decode, call, encode.
 *
 * Every change is written to the transaction log (transaction-log.ts) before it is answered,
 * so a killed process loses none. Most are also fdatasynced first; two are not, because a power
 * cut that loses them is recovered from (Apache Kafka fdatasyncs none of them):
 * - an InitProducerId's epoch bump: until a transaction of that epoch adds a partition (synced,
 *   and the log is appended in order) no record depends on it; lost, the producer's next call is
 *   fenced and it initialises again;
 * - CompleteCommit/CompleteAbort: it is written only after the markers are fdatasynced; lost, the
 *   start finishes the transaction again from its Prepare state, and writes no marker twice.
 * Ending a transaction is, in order: PrepareCommit/PrepareAbort on disk (the decision), a
 * COMMIT/ABORT marker appended to every partition of the transaction and fdatasynced, staged
 * offsets handed to the group (commit only), then CompleteCommit/CompleteAbort written. A crash
 * anywhere in between is finished at the next start from the Prepare state, writing markers
 * only where the producer's transaction is still open, so a marker is never written twice.
 *
 * Unlike Apache Kafka, which answers EndTxn once the decision is logged and sends markers in the
 * background (clients then see CONCURRENT_TRANSACTIONS until they land), EndTxn is answered once
 * the transaction is complete: markers are local writes here, and the next transaction of the
 * same producer then never has to retry.
 */

/** Markers carry the coordinator epoch (the __transaction_state leader epoch in Apache Kafka); one node, one epoch. */
const COORDINATOR_EPOCH = 0;
const NO_PRODUCER_ID = -1;
const NO_PRODUCER_EPOCH = -1;

export interface InitProducerIdResult {
  errorCode: ErrorCode;
  producerId: number;
  producerEpoch: number;
}

export interface TransactionalOffsetCommit {
  transactionalId: string;
  groupId: string;
  producerId: number;
  producerEpoch: number;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  offsets: { topic: string; partition: number; offset: number; metadata: string | null }[];
}

export interface TransactionDescription {
  errorCode: ErrorCode;
  transactionalId: string;
  state: string;
  timeoutMs: number;
  startTimestamp: number;
  producerId: number;
  producerEpoch: number;
  topics: { topic: string; partitions: number[] }[];
}

export interface TransactionListing {
  unknownStateFilters: string[];
  transactions: { transactionalId: string; producerId: number; state: TransactionState }[];
}

/** One transactional id: its state as on disk, and whether a change of it is being written. */
class Entry {
  partitionKeys: Set<string>;

  constructor(
    public current: TransactionRecord,
    /** True while a change is being written or a transaction is being ended: other calls wait. */
    public busy = false,
  ) {
    this.partitionKeys = keysOf(current);
  }

  replace(record: TransactionRecord): void {
    this.current = record;
    this.partitionKeys = keysOf(record);
  }
}

function keysOf(record: TransactionRecord): Set<string> {
  return new Set(record.partitions.map(({ topic, partition }) => partitionKey(topic, partition)));
}

export class TransactionCoordinator {
  private readonly entries = new Map<string, Entry>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly timer: NodeJS.Timeout;
  private closed = false;

  private constructor(
    private readonly config: BrokerConfig,
    private readonly log: LogManager,
    private readonly groups: GroupCoordinator,
    private readonly store: TransactionLog<TransactionRecord>,
  ) {
    for (const [id, record] of store.records) this.entries.set(id, new Entry(record));
    this.timer = setInterval(() => this.sweep(), config.transactionAbortCheckIntervalMs);
    this.timer.unref();
  }

  /**
   * Loads the transaction log and finishes what a crash interrupted: transactions decided but
   * not completed, and (should the disk have lost a write) transactions open in a partition
   * that the coordinator does not know as ongoing there, which are aborted.
   */
  static async open(config: BrokerConfig, log: LogManager, groups: GroupCoordinator): Promise<TransactionCoordinator> {
    const store = TransactionLog.open<TransactionRecord>(join(config.dataDir, '__transaction_state'), config.log);
    const coordinator = new TransactionCoordinator(config, log, groups, store);
    for (const entry of coordinator.entries.values()) {
      const { state } = entry.current;
      if (state === 'PrepareCommit' || state === 'PrepareAbort') await coordinator.resume(entry);
    }
    await coordinator.abortUnknownOpenTransactions();
    return coordinator;
  }

  // ---- InitProducerId ------------------------------------------------------------------------

  /**
   * A producer id and epoch for an idempotent producer (null id) or a transactional one. For a
   * transactional id the epoch is bumped, which fences any older producer using it; an ongoing
   * transaction of the previous producer is aborted first (answered CONCURRENT_TRANSACTIONS, so
   * the client retries, as with Apache Kafka). `expected` is InitProducerId v3+'s current
   * producer id and epoch of a producer resuming after an error.
   */
  initProducerId(
    transactionalId: string | null,
    timeoutMs: number,
    expected: { producerId: number; producerEpoch: number } | null,
  ): Promise<InitProducerIdResult> {
    const failed = (errorCode: ErrorCode): InitProducerIdResult => ({
      errorCode,
      producerId: NO_PRODUCER_ID,
      producerEpoch: NO_PRODUCER_EPOCH,
    });
    if (transactionalId === null) {
      return Promise.resolve({
        errorCode: ErrorCode.NONE,
        producerId: this.log.allocateProducerId(),
        producerEpoch: 0,
      });
    }
    if (this.closed) return Promise.resolve(failed(ErrorCode.COORDINATOR_NOT_AVAILABLE));
    if (transactionalId === '') return Promise.resolve(failed(ErrorCode.INVALID_REQUEST));
    if (timeoutMs <= 0 || timeoutMs > this.config.transactionMaxTimeoutMs) {
      return Promise.resolve(failed(ErrorCode.INVALID_TRANSACTION_TIMEOUT));
    }
    let entry = this.entries.get(transactionalId);
    if (entry === undefined) {
      // Known only in memory until its first change is on disk, as in Apache Kafka.
      entry = new Entry(this.newRecord(transactionalId, timeoutMs));
      this.entries.set(transactionalId, entry);
    }
    if (entry.busy) return Promise.resolve(failed(ErrorCode.CONCURRENT_TRANSACTIONS));
    const current = entry.current;
    if (expected !== null && !this.mayResume(current, expected))
      return Promise.resolve(failed(ErrorCode.PRODUCER_FENCED));

    switch (current.state) {
      case 'PrepareCommit':
      case 'PrepareAbort':
        return Promise.resolve(failed(ErrorCode.CONCURRENT_TRANSACTIONS));
      case 'Ongoing': {
        const ongoing = entry;
        return this.track(async () => {
          await this.fenceAndAbort(ongoing, 'a new producer initialised its transactional id');
          return failed(ErrorCode.CONCURRENT_TRANSACTIONS);
        });
      }
      default: {
        const next = this.nextProducerEpoch(current, timeoutMs, expected);
        if ('errorCode' in next) return Promise.resolve(failed(next.errorCode));
        const idle = entry;
        return this.track(async () => {
          // Not waiting for the fdatasync: see the top of this file.
          if (!(await this.change(idle, next, 'written'))) return failed(ErrorCode.COORDINATOR_NOT_AVAILABLE);
          return { errorCode: ErrorCode.NONE, producerId: next.producerId, producerEpoch: next.producerEpoch };
        });
      }
    }
  }

  /**
   * A producer resuming with its old id and epoch may carry on when the id was just created,
   * when the producer id is still current (its epoch is checked when bumping), or when it is the
   * previous id and its epoch ran out (a retry after the rotation to a new id).
   */
  private mayResume(current: TransactionRecord, expected: { producerId: number; producerEpoch: number }): boolean {
    return (
      current.producerEpoch === NO_PRODUCER_EPOCH ||
      expected.producerId === current.producerId ||
      (expected.producerId === current.previousProducerId && isEpochExhausted(expected.producerEpoch))
    );
  }

  private nextProducerEpoch(
    current: TransactionRecord,
    timeoutMs: number,
    expected: { producerId: number; producerEpoch: number } | null,
  ): TransactionRecord | { errorCode: ErrorCode } {
    const idle = {
      ...current,
      previousProducerId: current.producerId,
      timeoutMs,
      state: 'Empty' as const,
      partitions: [],
      groups: [],
      offsets: [],
      startTimestamp: -1,
      updateTimestamp: Date.now(),
    };
    if (
      isEpochExhausted(current.producerEpoch) &&
      (expected === null || expected.producerEpoch === current.producerEpoch)
    ) {
      return {
        ...idle,
        producerId: this.log.allocateProducerId(),
        producerEpoch: 0,
        lastProducerEpoch: expected === null ? NO_PRODUCER_EPOCH : current.producerEpoch,
      };
    }
    if (expected === null)
      return { ...idle, producerEpoch: current.producerEpoch + 1, lastProducerEpoch: NO_PRODUCER_EPOCH };
    if (current.producerEpoch === NO_PRODUCER_EPOCH || expected.producerEpoch === current.producerEpoch) {
      return { ...idle, producerEpoch: current.producerEpoch + 1, lastProducerEpoch: current.producerEpoch };
    }
    // A retry of a bump whose answer was lost: the same epoch again, not a second bump.
    if (expected.producerEpoch === current.lastProducerEpoch) return idle;
    return { errorCode: ErrorCode.PRODUCER_FENCED };
  }

  // ---- AddPartitionsToTxn, AddOffsetsToTxn ---------------------------------------------------

  /** Adds partitions to the producer's transaction, starting it if none is ongoing. */
  addPartitions(
    transactionalId: string,
    producerId: number,
    producerEpoch: number,
    partitions: TopicPartition[],
  ): Promise<ErrorCode> {
    return this.add(transactionalId, producerId, producerEpoch, partitions, []);
  }

  /** Adds a consumer group's offsets to the transaction (then staged with TxnOffsetCommit). */
  addOffsets(transactionalId: string, producerId: number, producerEpoch: number, groupId: string): Promise<ErrorCode> {
    return this.add(transactionalId, producerId, producerEpoch, [], [groupId]);
  }

  private add(
    transactionalId: string,
    producerId: number,
    producerEpoch: number,
    partitions: TopicPartition[],
    groups: string[],
  ): Promise<ErrorCode> {
    const found = this.producerEntry(transactionalId, producerId, producerEpoch);
    if (typeof found === 'number') return Promise.resolve(found);
    const current = found.current;
    if (current.state === 'PrepareCommit' || current.state === 'PrepareAbort') {
      return Promise.resolve(ErrorCode.CONCURRENT_TRANSACTIONS);
    }
    const newPartitions = partitions.filter(
      ({ topic, partition }) => !found.partitionKeys.has(partitionKey(topic, partition)),
    );
    const newGroups = groups.filter((group) => !current.groups.includes(group));
    if (current.state === 'Ongoing' && newPartitions.length === 0 && newGroups.length === 0) {
      return Promise.resolve(ErrorCode.NONE);
    }
    const now = Date.now();
    const next: TransactionRecord = {
      ...current,
      previousProducerId: current.producerId,
      state: 'Ongoing',
      partitions: [...current.partitions, ...newPartitions],
      groups: [...current.groups, ...newGroups],
      startTimestamp: current.state === 'Ongoing' ? current.startTimestamp : now,
      updateTimestamp: now,
    };
    return this.track(async () =>
      (await this.change(found, next)) ? ErrorCode.NONE : ErrorCode.COORDINATOR_NOT_AVAILABLE,
    );
  }

  /**
   * The entry of a transactional id for a call from its producer, or the error Apache Kafka
   * answers: an unknown id or another producer id INVALID_PRODUCER_ID_MAPPING, another epoch
   * PRODUCER_FENCED (handlers answer older versions INVALID_PRODUCER_EPOCH), a change being
   * written CONCURRENT_TRANSACTIONS.
   */
  private producerEntry(transactionalId: string, producerId: number, producerEpoch: number): Entry | ErrorCode {
    if (this.closed) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (transactionalId === '') return ErrorCode.INVALID_REQUEST;
    const entry = this.entries.get(transactionalId);
    if (entry === undefined || entry.current.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (entry.current.producerEpoch !== producerEpoch) return ErrorCode.PRODUCER_FENCED;
    if (entry.busy) return ErrorCode.CONCURRENT_TRANSACTIONS;
    return entry;
  }

  // ---- EndTxn -------------------------------------------------------------------------------

  /** Commits or aborts the ongoing transaction; answered once it is complete. */
  endTransaction(
    transactionalId: string,
    producerId: number,
    producerEpoch: number,
    commit: boolean,
  ): Promise<ErrorCode> {
    const found = this.producerEntry(transactionalId, producerId, producerEpoch);
    if (typeof found === 'number') return Promise.resolve(found);
    const { state } = found.current;
    switch (state) {
      case 'Ongoing':
        return this.track(() => this.end(found, commit, producerEpoch, found.current.lastProducerEpoch));
      case 'CompleteCommit':
        // A retry of an EndTxn that completed: the same answer, unless it now asks the opposite.
        return Promise.resolve(commit ? ErrorCode.NONE : ErrorCode.INVALID_TXN_STATE);
      case 'CompleteAbort':
        return Promise.resolve(commit ? ErrorCode.INVALID_TXN_STATE : ErrorCode.NONE);
      case 'PrepareCommit':
        return Promise.resolve(commit ? ErrorCode.CONCURRENT_TRANSACTIONS : ErrorCode.INVALID_TXN_STATE);
      case 'PrepareAbort':
        return Promise.resolve(commit ? ErrorCode.INVALID_TXN_STATE : ErrorCode.CONCURRENT_TRANSACTIONS);
      default:
        return Promise.resolve(ErrorCode.INVALID_TXN_STATE);
    }
  }

  /**
   * Ends an Ongoing transaction. Answers NONE once the decision is on disk, even if writing the
   * markers then fails: the sweep finishes it, as Apache Kafka's marker channel would. The entry
   * stays busy throughout, so calls for it meanwhile answer CONCURRENT_TRANSACTIONS.
   */
  private async end(
    entry: Entry,
    commit: boolean,
    producerEpoch: number,
    lastProducerEpoch: number,
  ): Promise<ErrorCode> {
    const prepared: TransactionRecord = {
      ...entry.current,
      previousProducerId: entry.current.producerId,
      producerEpoch,
      lastProducerEpoch,
      state: commit ? 'PrepareCommit' : 'PrepareAbort',
      updateTimestamp: Date.now(),
    };
    entry.busy = true;
    try {
      try {
        await this.store.write(prepared);
      } catch (error) {
        this.config.log(
          `transaction ${prepared.transactionalId}: could not write ${prepared.state}: ${(error as Error).message}`,
        );
        return ErrorCode.COORDINATOR_NOT_AVAILABLE;
      }
      entry.replace(prepared);
      await this.complete(entry, true);
      return ErrorCode.NONE;
    } finally {
      entry.busy = false;
    }
  }

  /** Finishes a transaction a crash or a failed write left in PrepareCommit/PrepareAbort. */
  private async resume(entry: Entry): Promise<void> {
    if (entry.busy) return;
    entry.busy = true;
    try {
      await this.complete(entry, false);
    } finally {
      entry.busy = false;
    }
  }

  /**
   * Completes a transaction in PrepareCommit/PrepareAbort: a marker in every partition of the
   * transaction (`everyPartition`, the first attempt, as Apache Kafka does) or, when finishing
   * an interrupted attempt, only where the producer's transaction is still open, so no
   * partition gets two; fdatasync; staged offsets to the groups on commit; Complete on disk.
   * A failure is logged and left for the sweep to retry.
   */
  private async complete(entry: Entry, everyPartition: boolean): Promise<void> {
    const prepared = entry.current;
    const commit = prepared.state === 'PrepareCommit';
    try {
      const timestamp = Date.now();
      const marked: PartitionLog[] = [];
      for (const { topic, partition } of prepared.partitions) {
        const log = this.log.partition(topic, partition);
        // A deleted topic needs no marker; an interrupted attempt may have written this one.
        if (log === undefined || (!everyPartition && !log.hasOpenTransaction(prepared.producerId))) continue;
        marked.push(log);
        log.appendMarker({
          producerId: prepared.producerId,
          producerEpoch: prepared.producerEpoch,
          commit,
          coordinatorEpoch: COORDINATOR_EPOCH,
          timestamp,
        });
      }
      await this.log.flush(marked);
      if (commit) await this.commitStagedOffsets(prepared.offsets);
      const completed: TransactionRecord = {
        ...prepared,
        state: commit ? 'CompleteCommit' : 'CompleteAbort',
        partitions: [],
        groups: [],
        offsets: [],
        updateTimestamp: Date.now(),
      };
      // After the markers' fdatasync, never before it: a Complete on disk with a marker lost would
      // have the start abort that transaction as unknown. Its own fdatasync is not waited for.
      await this.store.write(completed, 'written');
      entry.replace(completed);
    } catch (error) {
      this.config.log(
        `transaction ${prepared.transactionalId}: could not complete ${prepared.state} yet (${(error as Error).message}); the sweep retries`,
      );
    }
  }

  private async commitStagedOffsets(offsets: StagedOffset[]): Promise<void> {
    const byGroup = new Map<string, StagedOffset[]>();
    for (const staged of offsets) byGroup.set(staged.group, [...(byGroup.get(staged.group) ?? []), staged]);
    for (const [group, staged] of byGroup) {
      await this.groups.commitTransactionalOffsets(
        group,
        staged.map(({ topic, partition, offset, metadata }) => ({ topic, partition, committed: { offset, metadata } })),
      );
    }
  }

  /**
   * Aborts an Ongoing transaction on the coordinator's own initiative (a new producer, or the
   * timeout): the epoch is bumped first, so the markers carry the new epoch and the old
   * producer is fenced in every partition as well as here.
   */
  private async fenceAndAbort(entry: Entry, reason: string): Promise<void> {
    const { producerEpoch, transactionalId, producerId } = entry.current;
    const fencedEpoch = producerEpoch < MAX_PRODUCER_EPOCH ? producerEpoch + 1 : producerEpoch;
    this.config.log(
      `transaction ${transactionalId}: aborting the ongoing transaction of producer ${producerId} epoch ${producerEpoch}: ${reason}`,
    );
    await this.end(entry, false, fencedEpoch, NO_PRODUCER_EPOCH);
  }

  // ---- TxnOffsetCommit -----------------------------------------------------------------------

  /**
   * Stages consumer offsets in the transaction; the group sees them only when it commits.
   * Answers one error for the whole request; the handler adds per-partition ones (unknown
   * partition, metadata too large) for offsets it did not pass on.
   */
  commitOffsets(request: TransactionalOffsetCommit): Promise<ErrorCode> {
    const found = this.producerEntry(request.transactionalId, request.producerId, request.producerEpoch);
    // The partition-level check Apache Kafka applies here answers an old epoch INVALID_PRODUCER_EPOCH.
    if (found === ErrorCode.PRODUCER_FENCED) return Promise.resolve(ErrorCode.INVALID_PRODUCER_EPOCH);
    if (typeof found === 'number') return Promise.resolve(found);
    const current = found.current;
    if (current.state === 'PrepareCommit' || current.state === 'PrepareAbort') {
      return Promise.resolve(ErrorCode.CONCURRENT_TRANSACTIONS);
    }
    // AddOffsetsToTxn must have added the group to the ongoing transaction first.
    if (current.state !== 'Ongoing' || !current.groups.includes(request.groupId)) {
      return Promise.resolve(ErrorCode.INVALID_TXN_STATE);
    }
    const membership = this.groups.checkTransactionalCommitter(
      request.groupId,
      request.generationId,
      request.memberId,
      request.groupInstanceId,
    );
    if (membership !== ErrorCode.NONE) return Promise.resolve(membership);
    const staged = new Map(
      current.offsets.map((offset) => [`${offset.group}\u0000${partitionKey(offset.topic, offset.partition)}`, offset]),
    );
    for (const { topic, partition, offset, metadata } of request.offsets) {
      staged.set(`${request.groupId}\u0000${partitionKey(topic, partition)}`, {
        group: request.groupId,
        topic,
        partition,
        offset,
        metadata,
      });
    }
    const next: TransactionRecord = { ...current, offsets: [...staged.values()], updateTimestamp: Date.now() };
    return this.track(async () =>
      (await this.change(found, next)) ? ErrorCode.NONE : ErrorCode.COORDINATOR_NOT_AVAILABLE,
    );
  }

  // ---- Produce -------------------------------------------------------------------------------

  /**
   * Whether a transactional batch of the producer may go into the partition: it must belong to
   * the ongoing transaction of `transactionalId` (Apache Kafka's produce-time verification,
   * KIP-890, with the error codes it gives Produce v0-v7).
   */
  checkProduce(
    transactionalId: string,
    producerId: number,
    producerEpoch: number,
    topic: string,
    partition: number,
  ): ErrorCode {
    const entry = this.entries.get(transactionalId);
    if (entry === undefined || entry.current.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (entry.current.producerEpoch !== producerEpoch) return ErrorCode.INVALID_PRODUCER_EPOCH;
    const { state } = entry.current;
    // Apache Kafka turns "the transaction is ending" into a retriable error older clients retry.
    if (state === 'PrepareCommit' || state === 'PrepareAbort') return ErrorCode.NOT_ENOUGH_REPLICAS;
    if (state !== 'Ongoing' || !entry.partitionKeys.has(partitionKey(topic, partition)))
      return ErrorCode.INVALID_TXN_STATE;
    return ErrorCode.NONE;
  }

  // ---- DescribeTransactions, ListTransactions --------------------------------------------------

  describe(transactionalId: string): TransactionDescription {
    // Apache Kafka leaves every other field at its schema default on an error.
    const unknown = (errorCode: ErrorCode): TransactionDescription => ({
      errorCode,
      transactionalId,
      state: '',
      timeoutMs: 0,
      startTimestamp: 0,
      producerId: 0,
      producerEpoch: 0,
      topics: [],
    });
    if (this.closed) return unknown(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    if (transactionalId === '') return unknown(ErrorCode.INVALID_REQUEST);
    const current = this.entries.get(transactionalId)?.current;
    if (current === undefined) return unknown(ErrorCode.TRANSACTIONAL_ID_NOT_FOUND);
    const topics = new Map<string, number[]>();
    for (const { topic, partition } of current.partitions) topics.set(topic, [...(topics.get(topic) ?? []), partition]);
    // Apache Kafka lists the group's __consumer_offsets partition; this broker has one such partition.
    if (current.groups.length > 0) topics.set('__consumer_offsets', [0]);
    return {
      errorCode: ErrorCode.NONE,
      transactionalId,
      state: current.state,
      timeoutMs: current.timeoutMs,
      startTimestamp: current.startTimestamp,
      producerId: current.producerId,
      producerEpoch: current.producerEpoch,
      topics: [...topics].map(([topic, partitions]) => ({ topic, partitions })),
    };
  }

  /**
   * Transactional ids matching every filter given: states (unknown names are reported back),
   * producer ids, and running longer than `minDurationMs` (-1: any).
   */
  list(filters: { states: string[]; producerIds: number[]; minDurationMs: number }): TransactionListing {
    const known = new Set<string>(TRANSACTION_STATES);
    const unknownStateFilters = filters.states.filter((state) => !known.has(state));
    const now = Date.now();
    const transactions = [...this.entries.values()]
      .map((entry) => entry.current)
      .filter(
        (record) =>
          record.producerEpoch !== NO_PRODUCER_EPOCH &&
          (filters.states.length === 0 || filters.states.includes(record.state)) &&
          (filters.producerIds.length === 0 || filters.producerIds.includes(record.producerId)) &&
          (filters.minDurationMs < 0 || now - record.startTimestamp > filters.minDurationMs),
      )
      .map(({ transactionalId, producerId, state }) => ({ transactionalId, producerId, state }));
    return { unknownStateFilters, transactions };
  }

  // ---- Housekeeping --------------------------------------------------------------------------

  /**
   * Every transactionAbortCheckIntervalMs: aborts transactions open longer than their timeout
   * (the producer is fenced, as in Apache Kafka), finishes ends a failed write interrupted,
   * and forgets transactional ids idle past transactionalIdExpirationMs.
   */
  sweep(now = Date.now()): Promise<void> {
    const work: Promise<unknown>[] = [];
    for (const [id, entry] of this.entries) {
      if (entry.busy || this.closed) continue;
      const current = entry.current;
      if (current.state === 'Ongoing' && current.startTimestamp + current.timeoutMs < now) {
        work.push(this.track(() => this.fenceAndAbort(entry, `open longer than its ${current.timeoutMs} ms timeout`)));
      } else if (current.state === 'PrepareCommit' || current.state === 'PrepareAbort') {
        work.push(this.track(() => this.resume(entry)));
      } else if (
        current.state !== 'Ongoing' &&
        current.updateTimestamp + this.config.transactionalIdExpirationMs < now
      ) {
        entry.busy = true;
        work.push(
          this.track(async () => {
            try {
              if (current.producerEpoch !== NO_PRODUCER_EPOCH) await this.store.remove(id);
              this.entries.delete(id);
            } catch (error) {
              this.config.log(`transaction ${id}: could not expire it yet: ${(error as Error).message}`);
            } finally {
              entry.busy = false;
            }
          }),
        );
      }
    }
    return Promise.all(work).then(() => undefined);
  }

  /**
   * Transactions open in a partition that no Ongoing or Prepare state of the coordinator
   * accounts for. Only a write lost by the disk can leave one (every change is on disk before it
   * is answered), and it would hold the partition's LSO forever: abort it with the epoch it was
   * written with.
   */
  private async abortUnknownOpenTransactions(): Promise<void> {
    const byProducer = new Map<number, Entry>();
    for (const entry of this.entries.values()) byProducer.set(entry.current.producerId, entry);
    for (const topic of this.log.topicNames()) {
      for (let index = 0; index < (this.log.partitionCount(topic) ?? 0); index++) {
        const log = this.log.partition(topic, index);
        if (log === undefined) continue;
        for (const producerId of log.openTransactionProducerIds()) {
          const entry = byProducer.get(producerId);
          const accounted =
            entry !== undefined &&
            entry.current.state !== 'Empty' &&
            !entry.current.state.startsWith('Complete') &&
            entry.partitionKeys.has(partitionKey(topic, index));
          if (accounted) continue;
          this.config.log(
            `${topic}-${index}: aborting an open transaction of producer ${producerId} unknown to the coordinator`,
          );
          log.appendMarker({
            producerId,
            producerEpoch: log.producerEpoch(producerId) ?? 0,
            commit: false,
            coordinatorEpoch: COORDINATOR_EPOCH,
            timestamp: Date.now(),
          });
        }
      }
    }
    await this.log.flush();
  }

  private newRecord(transactionalId: string, timeoutMs: number): TransactionRecord {
    return {
      transactionalId,
      producerId: this.log.allocateProducerId(),
      previousProducerId: NO_PRODUCER_ID,
      producerEpoch: NO_PRODUCER_EPOCH,
      lastProducerEpoch: NO_PRODUCER_EPOCH,
      timeoutMs,
      state: 'Empty',
      partitions: [],
      groups: [],
      offsets: [],
      startTimestamp: -1,
      updateTimestamp: Date.now(),
    };
  }

  /**
   * Writes `next` and, once it is on disk (or only in the file: `durability`), makes it the
   * entry's state. While it is written the entry is busy and other calls for it answer
   * CONCURRENT_TRANSACTIONS. False if the write failed.
   */
  private async change(entry: Entry, next: TransactionRecord, durability: Durability = 'synced'): Promise<boolean> {
    entry.busy = true;
    try {
      await this.store.write(next, durability);
      entry.replace(next);
      return true;
    } catch (error) {
      this.config.log(
        `transaction ${next.transactionalId}: could not write ${next.state}: ${(error as Error).message}`,
      );
      return false;
    } finally {
      entry.busy = false;
    }
  }

  /** Runs an operation that writes, so close() can wait for it. */
  private track<T>(operation: () => Promise<T>): Promise<T> {
    const running = operation();
    this.inFlight.add(running);
    const forget = (): void => {
      this.inFlight.delete(running);
    };
    running.then(forget, forget);
    return running;
  }

  /** Stops the timer, lets running operations finish, then closes the transaction log. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    this.store.close();
  }
}
