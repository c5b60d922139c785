import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type BrokerConfig, defaultBrokerConfig } from '../config.js';
import { GroupCoordinator } from '../groups/index.js';
import { LogManager, validateProducedBatch } from '../log/index.js';
import { ErrorCode } from '../protocol/errors.js';
import { buildRecordBatch } from '../testing/record-batch-builder.js';
import { TransactionCoordinator } from './transaction-coordinator.js';
import { TransactionLog } from './transaction-log.js';
import type { TransactionRecord } from './transaction-state.js';

// The coordinator's state machine against real logs on disk: calls out of order, from fenced
// producers, replayed, concurrent; crashes between its steps. Every answer is Apache Kafka's.

interface Node {
  config: BrokerConfig;
  lines: string[];
  log: LogManager;
  groups: GroupCoordinator;
  coordinator: TransactionCoordinator;
  close(): Promise<void>;
}

const dirs: string[] = [];
const nodes: Node[] = [];
afterEach(async () => {
  for (const node of nodes.splice(0)) await node.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function start(dataDir?: string): Promise<Node> {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'tickstream-txn-coordinator-'));
  if (dataDir === undefined) dirs.push(dir);
  const lines: string[] = [];
  const config: BrokerConfig = {
    ...defaultBrokerConfig,
    dataDir: dir,
    transactionAbortCheckIntervalMs: 3_600_000, // the tests call sweep() themselves
    log: (line) => lines.push(line),
  };
  const log = await LogManager.open(config);
  if (log.partitionCount('t') === undefined) log.createTopic('t', 2);
  const groups = await GroupCoordinator.open(config, log);
  const coordinator = await TransactionCoordinator.open(config, log, groups);
  let closed = false;
  const node: Node = {
    config,
    lines,
    log,
    groups,
    coordinator,
    async close() {
      if (closed) return;
      closed = true;
      await coordinator.close();
      await groups.close();
      await log.close();
    },
  };
  nodes.push(node);
  return node;
}

const TIMEOUT = 60_000;
const P0 = [{ topic: 't', partition: 0 }];

async function init(node: Node, id: string): Promise<{ producerId: number; producerEpoch: number }> {
  const result = await node.coordinator.initProducerId(id, TIMEOUT, null);
  expect(result.errorCode).toBe(ErrorCode.NONE);
  return result;
}

/** A transactional batch of the producer into t/partition, checked by the coordinator as Produce does. */
function produce(node: Node, id: string, producer: { producerId: number; producerEpoch: number }, partition = 0) {
  const check = node.coordinator.checkProduce(id, producer.producerId, producer.producerEpoch, 't', partition);
  if (check !== ErrorCode.NONE) return check;
  const batch = buildRecordBatch({
    values: ['v'],
    producerId: producer.producerId,
    producerEpoch: producer.producerEpoch,
    baseSequence: 0,
    transactional: true,
  });
  const log = node.log.partition('t', partition);
  return log?.append(batch, validateProducedBatch(batch, 1 << 20, 7)).errorCode;
}

/** Cuts the last `count` lines of the coordinator's log: what a power cut takes of unsynced changes. */
function dropLastLines(dataDir: string, count: number): void {
  const path = join(dataDir, '__transaction_state', 'transactions.log');
  const lines = readFileSync(path, 'utf8').split('\n').slice(0, -1); // the text ends with a newline
  writeFileSync(path, lines.slice(0, lines.length - count).join('\n') + (count < lines.length ? '\n' : ''));
}

describe('transaction coordinator', () => {
  it('runs a transaction: add, produce, stage offsets, commit; markers written, offsets visible at commit only', async () => {
    const node = await start();
    const p = await init(node, 'tx');
    expect(p.producerEpoch).toBe(0);
    expect(await node.coordinator.addPartitions('tx', p.producerId, 0, P0)).toBe(ErrorCode.NONE);
    expect(produce(node, 'tx', p)).toBe(ErrorCode.NONE);
    expect(await node.coordinator.addOffsets('tx', p.producerId, 0, 'g')).toBe(ErrorCode.NONE);
    const offsets = {
      transactionalId: 'tx',
      groupId: 'g',
      producerId: p.producerId,
      producerEpoch: 0,
      generationId: -1,
      memberId: '',
      groupInstanceId: null,
      offsets: [{ topic: 'in', partition: 0, offset: 42, metadata: null }],
    };
    expect(await node.coordinator.commitOffsets(offsets)).toBe(ErrorCode.NONE);
    expect(node.groups.committed('g', 'in', 0)).toBeUndefined();
    const partition = node.log.partition('t', 0);
    expect(partition?.lastStableOffset).toBe(0);

    expect(await node.coordinator.endTransaction('tx', p.producerId, 0, true)).toBe(ErrorCode.NONE);
    expect(partition?.lastStableOffset).toBe(2); // the record and its COMMIT marker
    expect(partition?.logEndOffset).toBe(2);
    expect(node.groups.committed('g', 'in', 0)).toEqual({ offset: 42, metadata: null });
    expect(node.coordinator.describe('tx')).toMatchObject({ errorCode: 0, state: 'CompleteCommit', topics: [] });
  });

  it("syncs the markers' partitions when ending a transaction, not another partition's acks=1 data", async () => {
    const node = await start();
    const p = await init(node, 'tx');
    expect(await node.coordinator.addPartitions('tx', p.producerId, 0, P0)).toBe(ErrorCode.NONE);
    expect(produce(node, 'tx', p)).toBe(ErrorCode.NONE);
    // Unsynced bytes of another writer in t-1 (the ticks at acks=1, beside fills): not the marker's to wait for.
    const other = node.log.partition('t', 1);
    const batch = buildRecordBatch({ values: ['tick'] });
    other?.append(batch, validateProducedBatch(batch, 1 << 20, 7));
    const own = node.log.partition('t', 0);
    if (other === undefined || own === undefined) throw new Error('topic t has two partitions');
    const otherFlush = vi.spyOn(other, 'flush');
    const ownFlush = vi.spyOn(own, 'flush');

    expect(await node.coordinator.endTransaction('tx', p.producerId, 0, true)).toBe(ErrorCode.NONE);
    expect(own.lastStableOffset).toBe(2);
    expect(ownFlush).toHaveBeenCalled();
    expect(otherFlush).not.toHaveBeenCalled();
  });

  it('answers calls out of order with Apache Kafka error codes', async () => {
    const node = await start();
    const c = node.coordinator;
    expect(await c.addPartitions('nobody', 1, 0, P0)).toBe(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    expect(await c.endTransaction('nobody', 1, 0, true)).toBe(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    expect(await c.addOffsets('nobody', 1, 0, 'g')).toBe(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    expect(c.checkProduce('nobody', 1, 0, 't', 0)).toBe(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    expect((await c.initProducerId('', TIMEOUT, null)).errorCode).toBe(ErrorCode.INVALID_REQUEST);
    expect((await c.initProducerId('tx', 0, null)).errorCode).toBe(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    expect((await c.initProducerId('tx', 15 * 60_000 + 1, null)).errorCode).toBe(ErrorCode.INVALID_TRANSACTION_TIMEOUT);

    const p = await init(node, 'tx');
    // Nothing begun: no end, no produce, no offsets.
    expect(await c.endTransaction('tx', p.producerId, 0, true)).toBe(ErrorCode.INVALID_TXN_STATE);
    expect(await c.endTransaction('tx', p.producerId, 0, false)).toBe(ErrorCode.INVALID_TXN_STATE);
    expect(produce(node, 'tx', p)).toBe(ErrorCode.INVALID_TXN_STATE);
    const offsets = {
      transactionalId: 'tx',
      groupId: 'g',
      producerId: p.producerId,
      producerEpoch: 0,
      generationId: -1,
      memberId: '',
      groupInstanceId: null,
      offsets: [],
    };
    expect(await c.commitOffsets(offsets)).toBe(ErrorCode.INVALID_TXN_STATE);
    // Another producer id, another epoch.
    expect(await c.addPartitions('tx', p.producerId + 100, 0, P0)).toBe(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    expect(await c.addPartitions('tx', p.producerId, 1, P0)).toBe(ErrorCode.PRODUCER_FENCED);

    expect(await c.addPartitions('tx', p.producerId, 0, P0)).toBe(ErrorCode.NONE);
    // Partition 1 was not added; offsets of a group not added.
    expect(produce(node, 'tx', p, 1)).toBe(ErrorCode.INVALID_TXN_STATE);
    expect(await c.commitOffsets(offsets)).toBe(ErrorCode.INVALID_TXN_STATE);
    expect(await c.addOffsets('tx', p.producerId, 0, 'g')).toBe(ErrorCode.NONE);
    // A group member's commit must name the current generation (v3+).
    expect(await c.commitOffsets({ ...offsets, generationId: 3, memberId: 'ghost' })).toBe(
      ErrorCode.ILLEGAL_GENERATION,
    );
    expect(await c.commitOffsets(offsets)).toBe(ErrorCode.NONE);
  });

  it('answers replayed calls as the first time, and refuses the opposite decision', async () => {
    const node = await start();
    const c = node.coordinator;
    const p = await init(node, 'tx');
    expect(await c.addPartitions('tx', p.producerId, 0, P0)).toBe(ErrorCode.NONE);
    expect(await c.addPartitions('tx', p.producerId, 0, P0)).toBe(ErrorCode.NONE);
    produce(node, 'tx', p);
    expect(await c.endTransaction('tx', p.producerId, 0, true)).toBe(ErrorCode.NONE);
    expect(await c.endTransaction('tx', p.producerId, 0, true)).toBe(ErrorCode.NONE);
    expect(await c.endTransaction('tx', p.producerId, 0, false)).toBe(ErrorCode.INVALID_TXN_STATE);
    expect(node.log.partition('t', 0)?.logEndOffset).toBe(2); // one marker, not two

    // InitProducerId v3+ retried after its answer was lost: the same epoch, not a second bump.
    const bumped = await c.initProducerId('tx', TIMEOUT, { producerId: p.producerId, producerEpoch: 0 });
    expect(bumped).toMatchObject({ errorCode: 0, producerId: p.producerId, producerEpoch: 1 });
    const retried = await c.initProducerId('tx', TIMEOUT, { producerId: p.producerId, producerEpoch: 0 });
    expect(retried).toMatchObject({ errorCode: 0, producerId: p.producerId, producerEpoch: 1 });
    // A producer resuming with an epoch that is neither current nor the last one is fenced.
    const stale = await c.initProducerId('tx', TIMEOUT, { producerId: p.producerId, producerEpoch: 7 });
    expect(stale.errorCode).toBe(ErrorCode.PRODUCER_FENCED);
  });

  it('fences a zombie: a new InitProducerId aborts its open transaction and bumps the epoch past it', async () => {
    const node = await start();
    const c = node.coordinator;
    const zombie = await init(node, 'tx');
    expect(await c.addPartitions('tx', zombie.producerId, 0, [...P0, { topic: 't', partition: 1 }])).toBe(0);
    expect(produce(node, 'tx', zombie)).toBe(ErrorCode.NONE);

    // As Apache Kafka: the first InitProducerId aborts and answers CONCURRENT_TRANSACTIONS, the retry succeeds.
    expect((await c.initProducerId('tx', TIMEOUT, null)).errorCode).toBe(ErrorCode.CONCURRENT_TRANSACTIONS);
    const newcomer = await init(node, 'tx');
    expect(newcomer).toMatchObject({ producerId: zombie.producerId, producerEpoch: 2 });
    const partition = node.log.partition('t', 0);
    expect(partition?.lastStableOffset).toBe(partition?.logEndOffset);
    expect(partition?.abortedTransactions(0, 10)).toEqual([{ producerId: zombie.producerId, firstOffset: 0 }]);
    expect(node.log.partition('t', 1)?.logEndOffset).toBe(1); // a marker in every added partition

    expect(await c.endTransaction('tx', zombie.producerId, 0, true)).toBe(ErrorCode.PRODUCER_FENCED);
    expect(await c.addPartitions('tx', zombie.producerId, 0, P0)).toBe(ErrorCode.PRODUCER_FENCED);
    expect(c.checkProduce('tx', zombie.producerId, 0, 't', 0)).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    expect(node.lines.some((line) => line.includes('a new producer initialised its transactional id'))).toBe(true);
  });

  it('answers CONCURRENT_TRANSACTIONS to calls made while a transaction is ending', async () => {
    const node = await start();
    const c = node.coordinator;
    const p = await init(node, 'tx');
    await c.addPartitions('tx', p.producerId, 0, P0);
    const ending = c.endTransaction('tx', p.producerId, 0, true);
    expect(await c.endTransaction('tx', p.producerId, 0, true)).toBe(ErrorCode.CONCURRENT_TRANSACTIONS);
    expect(await c.addPartitions('tx', p.producerId, 0, P0)).toBe(ErrorCode.CONCURRENT_TRANSACTIONS);
    expect((await c.initProducerId('tx', TIMEOUT, null)).errorCode).toBe(ErrorCode.CONCURRENT_TRANSACTIONS);
    expect(await ending).toBe(ErrorCode.NONE);
    expect(await c.addPartitions('tx', p.producerId, 0, P0)).toBe(ErrorCode.NONE);
  });

  it('aborts a transaction open past its timeout and fences its producer', async () => {
    const node = await start();
    const c = node.coordinator;
    const p = (await c.initProducerId('tx', 1_000, null)) as { producerId: number; producerEpoch: number };
    await c.addPartitions('tx', p.producerId, 0, P0);
    produce(node, 'tx', p);
    await c.sweep(Date.now() + 500);
    expect(c.describe('tx').state).toBe('Ongoing');
    await c.sweep(Date.now() + 2_000);
    expect(c.describe('tx')).toMatchObject({ state: 'CompleteAbort', producerEpoch: 1 });
    expect(node.log.partition('t', 0)?.lastStableOffset).toBe(2);
    expect(await c.endTransaction('tx', p.producerId, 0, true)).toBe(ErrorCode.PRODUCER_FENCED);
  });

  it('keeps ongoing transactions and staged offsets across a restart, and commits them after it', async () => {
    const first = await start();
    const p = await init(first, 'tx');
    await first.coordinator.addPartitions('tx', p.producerId, 0, P0);
    produce(first, 'tx', p);
    await first.coordinator.addOffsets('tx', p.producerId, 0, 'g');
    await first.coordinator.commitOffsets({
      transactionalId: 'tx',
      groupId: 'g',
      producerId: p.producerId,
      producerEpoch: 0,
      generationId: -1,
      memberId: '',
      groupInstanceId: null,
      offsets: [{ topic: 'in', partition: 1, offset: 7, metadata: 'm' }],
    });
    await first.close();

    const second = await start(first.config.dataDir);
    expect(second.coordinator.describe('tx')).toMatchObject({
      state: 'Ongoing',
      producerId: p.producerId,
      topics: [
        { topic: 't', partitions: [0] },
        { topic: '__consumer_offsets', partitions: [0] },
      ],
    });
    expect(second.log.partition('t', 0)?.lastStableOffset).toBe(0);
    expect(await second.coordinator.endTransaction('tx', p.producerId, 0, true)).toBe(ErrorCode.NONE);
    expect(second.groups.committed('g', 'in', 1)).toEqual({ offset: 7, metadata: 'm' });
    expect(second.log.partition('t', 0)?.lastStableOffset).toBe(2);
  });

  it('finishes at start a transaction a crash left decided but not complete, one marker per partition', async () => {
    const first = await start();
    const p = await init(first, 'tx');
    await first.coordinator.addPartitions('tx', p.producerId, 0, P0);
    produce(first, 'tx', p);
    await first.close();
    // The crash: PrepareCommit reached the disk, no marker did.
    const store = TransactionLog.open<TransactionRecord>(join(first.config.dataDir, '__transaction_state'), () => {});
    const ongoing = store.records.get('tx') as TransactionRecord;
    await store.write({ ...ongoing, state: 'PrepareCommit' });
    store.close();

    const second = await start(first.config.dataDir);
    expect(second.coordinator.describe('tx').state).toBe('CompleteCommit');
    const partition = second.log.partition('t', 0);
    expect(partition?.logEndOffset).toBe(2);
    expect(partition?.lastStableOffset).toBe(2);
    expect(partition?.hasAbortedTransactions).toBe(false);
    await second.close();

    const third = await start(first.config.dataDir); // nothing left to finish: no second marker
    expect(third.log.partition('t', 0)?.logEndOffset).toBe(2);
  });

  // InitProducerId's epoch bump and a transaction's Complete are answered once written, not once
  // fdatasynced (a power cut may lose them); the two tests below lose each and check the recovery.
  it('answers InitProducerId before an fdatasync; a bump lost to a power cut fences its producer, who inits again', async () => {
    const first = await start();
    await init(first, 'tx');
    let checkPhase = false;
    setImmediate(() => {
      checkPhase = true;
    });
    const bumped = await init(first, 'tx');
    expect(checkPhase).toBe(false); // no fdatasync waited for (its callback comes after the check phase)
    expect(bumped.producerEpoch).toBe(1);
    await first.close();
    // The power cut: the bump's line, the last, never reached the disk.
    dropLastLines(first.config.dataDir, 1);

    const second = await start(first.config.dataDir);
    expect(await second.coordinator.addPartitions('tx', bumped.producerId, 1, P0)).toBe(ErrorCode.PRODUCER_FENCED);
    const again = await init(second, 'tx');
    expect(again).toEqual({ errorCode: ErrorCode.NONE, producerId: bumped.producerId, producerEpoch: 1 });
    expect(await second.coordinator.addPartitions('tx', again.producerId, 1, P0)).toBe(ErrorCode.NONE);
    expect(produce(second, 'tx', again)).toBe(ErrorCode.NONE);
    expect(await second.coordinator.endTransaction('tx', again.producerId, 1, true)).toBe(ErrorCode.NONE);
    expect(second.log.partition('t', 0)?.lastStableOffset).toBe(2);
  });

  it('finishes at start a commit whose Complete a power cut lost, without a second marker', async () => {
    const first = await start();
    const p = await init(first, 'tx');
    await first.coordinator.addPartitions('tx', p.producerId, 0, P0);
    produce(first, 'tx', p);
    expect(await first.coordinator.endTransaction('tx', p.producerId, 0, true)).toBe(ErrorCode.NONE);
    expect(first.log.partition('t', 0)?.logEndOffset).toBe(2);
    await first.close();
    // The power cut: PrepareCommit and the marker were synced before the answer, Complete was not.
    dropLastLines(first.config.dataDir, 1);

    const second = await start(first.config.dataDir);
    expect(second.coordinator.describe('tx').state).toBe('CompleteCommit');
    const partition = second.log.partition('t', 0);
    expect(partition?.logEndOffset).toBe(2); // the one marker, not a second
    expect(partition?.lastStableOffset).toBe(2);
    expect(partition?.hasAbortedTransactions).toBe(false);
    expect(second.lines.some((line) => line.includes('unknown to the coordinator'))).toBe(false);
  });

  it('aborts at start a transaction open in a partition that the coordinator does not know', async () => {
    const first = await start();
    // A transactional batch whose AddPartitions the disk lost (it never answers before fsync).
    const batch = buildRecordBatch({
      values: ['lost'],
      producerId: 999,
      producerEpoch: 3,
      baseSequence: 0,
      transactional: true,
    });
    first.log.partition('t', 1)?.append(batch, validateProducedBatch(batch, 1 << 20, 7));
    expect(first.log.partition('t', 1)?.lastStableOffset).toBe(0);
    await first.close();

    const second = await start(first.config.dataDir);
    const partition = second.log.partition('t', 1);
    expect(partition?.lastStableOffset).toBe(2);
    expect(partition?.abortedTransactions(0, 2)).toEqual([{ producerId: 999, firstOffset: 0 }]);
    expect(second.lines.some((line) => line.includes('unknown to the coordinator'))).toBe(true);
  });

  it('cuts a torn last line of its log and keeps everything before it', async () => {
    const first = await start();
    const p = await init(first, 'tx');
    await first.coordinator.addPartitions('tx', p.producerId, 0, P0);
    await first.close();
    const torn = '{"transactionalId":"tx","pro';
    appendFileSync(join(first.config.dataDir, '__transaction_state', 'transactions.log'), torn);

    const second = await start(first.config.dataDir);
    expect(second.coordinator.describe('tx')).toMatchObject({ state: 'Ongoing', producerId: p.producerId });
    expect(second.lines).toContain(`transaction log: cut a torn or corrupt tail of ${torn.length} bytes`);
  });

  it('forgets a transactional id idle past transactional.id.expiration.ms, also after a restart', async () => {
    const first = await start();
    await init(first, 'old');
    await first.coordinator.sweep(Date.now() + 8 * 24 * 3600 * 1000);
    expect(first.coordinator.describe('old').errorCode).toBe(ErrorCode.TRANSACTIONAL_ID_NOT_FOUND);
    await first.close();
    const second = await start(first.config.dataDir);
    expect(second.coordinator.describe('old').errorCode).toBe(ErrorCode.TRANSACTIONAL_ID_NOT_FOUND);
  });

  it('lists transactions by state and producer id, reporting unknown state names', async () => {
    const node = await start();
    const a = await init(node, 'a');
    await init(node, 'b');
    await node.coordinator.addPartitions('a', a.producerId, 0, P0);
    expect(node.coordinator.list({ states: ['Ongoing', 'Bogus'], producerIds: [], minDurationMs: -1 })).toEqual({
      unknownStateFilters: ['Bogus'],
      transactions: [{ transactionalId: 'a', producerId: a.producerId, state: 'Ongoing' }],
    });
    expect(
      node.coordinator.list({ states: [], producerIds: [a.producerId], minDurationMs: -1 }).transactions,
    ).toHaveLength(1);
    expect(node.coordinator.list({ states: [], producerIds: [], minDurationMs: -1 }).transactions).toHaveLength(2);
  });
});
