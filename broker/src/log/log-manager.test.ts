import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type BrokerConfig, defaultBrokerConfig } from '../config.js';
import { keyedBatch } from '../testing/record-batches.js';
import { LogManager } from './log-manager.js';
import { validateProducedBatch } from './record-batch.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function config(): BrokerConfig {
  const dataDir = mkdtempSync(join(tmpdir(), 'tickstream-log-manager-test-'));
  dirs.push(dataDir);
  return { ...defaultBrokerConfig, dataDir, log: () => {} };
}

describe('log manager', () => {
  it('keeps topic ids, topic configs, added partitions and the log start offset across a restart', async () => {
    const settings = config();
    let manager = await LogManager.open(settings);
    manager.createTopic('users', 1, { 'cleanup.policy': 'compact', 'segment.ms': '60000' });
    const id = manager.topicId('users');
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    manager.setTopicConfigs('users', { 'cleanup.policy': 'compact,delete', 'retention.ms': '1000' });
    manager.addPartitions('users', 3);
    const log = manager.partition('users', 0);
    for (let i = 0; i < 5; i++) {
      const batch = await keyedBatch([{ key: `k${i}`, value: `v${i}`, timestamp: Date.now() }]);
      log?.append(batch, validateProducedBatch(batch, 1 << 20, 7));
    }
    log?.deleteRecordsBefore(3);
    await manager.close();

    manager = await LogManager.open(settings);
    expect(manager.topicId('users')).toBe(id);
    expect(manager.topicNameById(id as string)).toBe('users');
    expect(manager.topicConfigs('users')).toEqual({ 'cleanup.policy': 'compact,delete', 'retention.ms': '1000' });
    expect(manager.topicSettings('users')).toMatchObject({
      compact: true,
      delete: true,
      retentionMs: 1000,
      segmentMs: 604800000,
    });
    expect(manager.partitionCount('users')).toBe(3);
    expect(manager.partition('users', 0)).toMatchObject({ logStartOffset: 3, logEndOffset: 5 });
    await manager.close();
  });

  it('syncs only the partitions a flush names, every partition when it names none', async () => {
    const manager = await LogManager.open(config());
    manager.createTopic('fills', 1);
    manager.createTopic('ticks', 1);
    const fills = manager.partition('fills', 0);
    const ticks = manager.partition('ticks', 0);
    if (fills === undefined || ticks === undefined) throw new Error('both topics have partition 0');
    for (const log of [fills, ticks]) {
      const batch = await keyedBatch([{ key: 'k', value: 'v', timestamp: Date.now() }]);
      log.append(batch, validateProducedBatch(batch, 1 << 20, 7));
    }
    const fillsFlush = vi.spyOn(fills, 'flush');
    const ticksFlush = vi.spyOn(ticks, 'flush');

    // Two calls in one turn share one sync of what they name together.
    await Promise.all([manager.flush([fills]), manager.flush([fills])]);
    expect(fillsFlush).toHaveBeenCalledTimes(1);
    expect(ticksFlush).not.toHaveBeenCalled();

    await manager.flush();
    expect(ticksFlush).toHaveBeenCalledTimes(1);
    await manager.close();
  });
});
