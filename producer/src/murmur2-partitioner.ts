/**
 * Kafka's default key partitioner (Java client, and kafkajs' DefaultPartitioner): murmur2 of the
 * key bytes, made positive by clearing the sign bit, modulo the partition count. Keeping it
 * identical keeps every symbol in the partition the `main` writer (kafkajs) and any Java
 * producer put it in.
 */

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

/** 32-bit murmur2 of `key`, as a signed int (Kafka's `Utils.murmur2`). */
export function murmur2(key: Uint8Array): number {
  const length = key.length;
  let h = SEED ^ length;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = (key[i] as number) | ((key[i + 1] as number) << 8) | ((key[i + 2] as number) << 16);
    k |= (key[i + 3] as number) << 24;
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  const tail = length & 3;
  if (tail !== 0) {
    if (tail === 3) h ^= (key[whole + 2] as number) << 16;
    if (tail >= 2) h ^= (key[whole + 1] as number) << 8;
    h ^= key[whole] as number;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** The partition Kafka's default partitioner gives a non-null key. */
export function partitionForKey(key: Uint8Array, partitionCount: number): number {
  return (murmur2(key) & 0x7fffffff) % partitionCount;
}
