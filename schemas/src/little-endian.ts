/**
 * Little-endian reads straight from a Uint8Array, for the hand-written FlatBuffers readers on
 * the edge's ingest path: no DataView per record, and 64-bit integers as numbers, not BigInts.
 */

const TWO_32 = 4_294_967_296;
/** Eight bytes to read a double through. */
const scratch = new Float64Array(1);
const scratchBytes = new Uint8Array(scratch.buffer);

export function u16(b: Uint8Array, at: number): number {
  return (b[at] as number) | ((b[at + 1] as number) << 8);
}

export function i32(b: Uint8Array, at: number): number {
  return (
    (b[at] as number) | ((b[at + 1] as number) << 8) | ((b[at + 2] as number) << 16) | ((b[at + 3] as number) << 24)
  );
}

export function u32(b: Uint8Array, at: number): number {
  return i32(b, at) >>> 0;
}

/** An int64 as a number (exact within ±2^53: prices, sizes, µs timestamps); 0 when absent (at 0). */
export function i64(b: Uint8Array, at: number): number {
  return at === 0 ? 0 : i32(b, at + 4) * TWO_32 + u32(b, at);
}

/** A uint64 as a number (exact below 2^53); 0 when absent (at 0). */
export function u64(b: Uint8Array, at: number): number {
  return at === 0 ? 0 : u32(b, at + 4) * TWO_32 + u32(b, at);
}

/** A double; 0 when absent (at 0), the schemas' default. */
export function f64(b: Uint8Array, at: number): number {
  if (at === 0) return 0;
  for (let i = 0; i < 8; i++) scratchBytes[i] = b[at + i] as number;
  return scratch[0] as number;
}
