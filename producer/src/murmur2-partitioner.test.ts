import kafkajs, { type PartitionMetadata } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { buildUniverse } from './market/index.js';
import { murmur2, partitionForKey } from './murmur2-partitioner.js';

const { Partitioners } = kafkajs;

/** kafkajs' own answer for a keyed message, as the `main` writer computes it. */
function kafkajsPartition(key: Buffer, partitionCount: number): number {
  const partitioner = Partitioners.DefaultPartitioner();
  const partitionMetadata: PartitionMetadata[] = Array.from({ length: partitionCount }, (_, partitionId) => ({
    partitionErrorCode: 0,
    partitionId,
    leader: 0,
    replicas: [0],
    isr: [0],
  }));
  return partitioner({ topic: 'ticks', partitionMetadata, message: { key, value: null } });
}

/** Deterministic pseudo-random bytes (xorshift), so a failure names a reproducible key. */
function* randomKeys(count: number): Generator<Buffer> {
  let state = 0x2545f491;
  const next = (): number => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return state >>> 0;
  };
  for (let i = 0; i < count; i++) {
    const key = Buffer.alloc(next() % 41); // 0..40 bytes: every length mod 4
    for (let j = 0; j < key.length; j++) key[j] = next() & 0xff;
    yield key;
  }
}

describe('murmur2 partitioner', () => {
  it("matches Kafka's murmur2 for known keys", () => {
    // Values of org.apache.kafka.common.utils.Utils.murmur2 (its UtilsTest).
    expect(murmur2(Buffer.from('21'))).toBe(-973932308);
    expect(murmur2(Buffer.from('foobar'))).toBe(-790332482);
    expect(murmur2(Buffer.from('a-little-bit-long-string'))).toBe(-985981536);
    expect(murmur2(Buffer.from('a-little-bit-longer-string'))).toBe(-1486304829);
    expect(murmur2(Buffer.from('lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8'))).toBe(-58897971);
    expect(murmur2(Buffer.from([0x61, 0x62, 0x63]))).toBe(479470107);
  });

  it("puts 20,000 random keys in the partition kafkajs' DefaultPartitioner does, for 1 to 64 partitions", () => {
    let checked = 0;
    let i = 0;
    for (const key of randomKeys(20_000)) {
      const partitionCount = (i++ % 64) + 1;
      expect(partitionForKey(key, partitionCount), key.toString('hex')).toBe(kafkajsPartition(key, partitionCount));
      checked++;
    }
    expect(checked).toBe(20_000);
  });

  it('puts every symbol of a 10,000-symbol universe where kafkajs does, for 6 and 7 partitions', () => {
    const universe = buildUniverse({ symbols: null, symbolCount: 10_000, seed: 1 });
    const names = universe.names;
    expect(names.length).toBe(10_000);
    for (const partitionCount of [6, 7]) {
      for (const name of names) {
        const key = Buffer.from(name);
        expect(partitionForKey(key, partitionCount), name).toBe(kafkajsPartition(key, partitionCount));
      }
    }
  });
});
