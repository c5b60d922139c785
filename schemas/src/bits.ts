import { ProtocolError } from './protocol-error.js';

/**
 * Bit strings for the version-5 Delta (docs/protocol.md, "Delta encoding"): bits are written most
 * significant first, and values as Exp-Golomb codes of order k. EG-k of v ≥ 0: let w = v + 2^k,
 * n its bit length; n − k − 1 zero bits, then w in n bits. So v < 2^k takes k + 1 bits, each
 * doubling of v one more bit, and the order is chosen to fit the values' usual size.
 * Values are JS numbers below 2^48 (prices × 10,000, volumes and times stay far below), so wide
 * values are split with * and / rather than 32-bit operators.
 */
const MAX_BITS = 48;
const CHUNK = 24;
/**
 * 2^k for k in 0..53, looked up: `2 ** order` with an order known only at run time is a call to
 * the C library's pow in V8 (~1.5 % of the edge's CPU at 200 clients in pages of 50, perf).
 */
const POW2 = Float64Array.from({ length: 54 }, (_, k) => 2 ** k);
const CHUNK_SPAN = 2 ** CHUNK;

/** Bit length of w ≥ 1 (up to 2^53). */
function bitLength(w: number): number {
  return w < 0x1_0000_0000 ? 32 - Math.clz32(w) : 32 + bitLength(Math.floor(w / 0x1_0000_0000));
}

export class BitWriter {
  private bytes: Uint8Array;
  /** Bits written so far. */
  bitLength = 0;
  // Up to 7 bits not yet stored in a whole byte, and how many.
  private pending = 0;
  private pendingBits = 0;

  constructor(initialBytes = 1024) {
    this.bytes = new Uint8Array(initialBytes);
  }

  reset(): void {
    this.bitLength = 0;
    this.pending = 0;
    this.pendingBits = 0;
  }

  /** Appends the low `count` bits of `value` (count ≤ 24, value < 2^count). */
  bits(value: number, count: number): void {
    if (count === 0) return;
    let pending = (this.pending << count) | value;
    let pendingBits = this.pendingBits + count;
    const byteAt = this.bitLength >>> 3;
    if (byteAt + 4 > this.bytes.length) this.grow(byteAt + 4);
    let at = byteAt;
    while (pendingBits >= 8) {
      pendingBits -= 8;
      this.bytes[at++] = (pending >>> pendingBits) & 0xff;
    }
    pending &= (1 << pendingBits) - 1;
    this.pending = pending;
    this.pendingBits = pendingBits;
    this.bitLength += count;
  }

  /** Appends `value` (0 ≤ value < 2^48, an integer) as an Exp-Golomb code of order `order`. */
  expGolomb(value: number, order: number): void {
    const w = value + (POW2[order] as number);
    const n = bitLength(w);
    if (n > MAX_BITS) throw new RangeError(`value ${value} is too large for a Delta field (at most 2^${MAX_BITS - 1})`);
    for (let zeros = n - order - 1; zeros > 0; zeros -= CHUNK) this.bits(0, Math.min(zeros, CHUNK));
    if (n > CHUNK) {
      const high = Math.floor(w / CHUNK_SPAN);
      this.bits(high, n - CHUNK);
      this.bits(w - high * CHUNK_SPAN, CHUNK);
    } else this.bits(w, n);
  }

  /** Zigzag (v ≥ 0 → 2v, v < 0 → −2v − 1), then Exp-Golomb. */
  signedExpGolomb(value: number, order: number): void {
    this.expGolomb(value >= 0 ? value * 2 : -value * 2 - 1, order);
  }

  /** Appends `count` bits of `source` from bit `start` on (a piece of another BitWriter's bytes). */
  copy(source: Uint8Array, start: number, count: number): void {
    let at = start;
    let left = count;
    while (left > 0) {
      const take = Math.min(left, CHUNK);
      this.bits(readBits(source, at, take), take);
      at += take;
      left -= take;
    }
  }

  /** The bits so far, the last byte padded with zeros (a view: copy it to keep it past the next write). */
  view(): Uint8Array {
    const whole = this.bitLength >>> 3;
    if (this.pendingBits === 0) return this.bytes.subarray(0, whole);
    this.bytes[whole] = (this.pending << (8 - this.pendingBits)) & 0xff;
    return this.bytes.subarray(0, whole + 1);
  }

  /** The whole bytes written so far (complete or not): what `copy` reads from. */
  get buffer(): Uint8Array {
    this.view();
    return this.bytes;
  }

  private grow(size: number): void {
    const grown = new Uint8Array(Math.max(this.bytes.length * 2, size));
    grown.set(this.bytes);
    this.bytes = grown;
  }
}

/** `count` (1-24) bits of `bytes` from bit `start`, most significant first (bits past the buffer read as 0). */
function readBits(bytes: Uint8Array, start: number, count: number): number {
  return window32(bytes, start) >>> (32 - count);
}

/** The 32 bits of `bytes` from bit `position` on. */
function window32(b: Uint8Array, position: number): number {
  const at = position >>> 3;
  const shift = position & 7;
  // Reads past the end of a typed array are slow in V8 (and undefined): the last bytes take the careful path.
  if (at + 4 >= b.length) return tailWindow32(b, at, shift);
  const word =
    ((b[at] as number) << 24) | ((b[at + 1] as number) << 16) | ((b[at + 2] as number) << 8) | (b[at + 3] as number);
  return shift === 0 ? word >>> 0 : ((word << shift) | ((b[at + 4] as number) >>> (8 - shift))) >>> 0;
}

function tailWindow32(b: Uint8Array, at: number, shift: number): number {
  const byte = (i: number): number => (at + i < b.length ? (b[at + i] as number) : 0);
  const word = ((byte(0) << 24) | (byte(1) << 16) | (byte(2) << 8) | byte(3)) >>> 0;
  return shift === 0 ? word : ((word << shift) | (byte(4) >>> (8 - shift))) >>> 0;
}

/**
 * Reads a bit string from bytes [start, end) of a buffer. Throws ProtocolError for a code that
 * runs past the end or is longer than any the writer makes.
 */
export class BitReader {
  private bytes: Uint8Array = new Uint8Array(0);
  private position = 0;
  private end = 0;
  private startBit = 0;

  reset(bytes: Uint8Array, start: number, end: number): void {
    this.bytes = bytes;
    this.position = start * 8;
    this.startBit = start * 8;
    this.end = end * 8;
  }

  /** Bits read so far. */
  get consumed(): number {
    return this.position - this.startBit;
  }

  /** Bits left to read (the padding of the last byte included). */
  get remaining(): number {
    return this.end - this.position;
  }

  /** The next `count` (≤ 24) bits. */
  bits(count: number): number {
    if (this.position + count > this.end)
      throw new ProtocolError('invalid-field', `delta data ends early at bit ${this.position - this.startBit}`);
    if (count === 0) return 0;
    const value = this.peek32() >>> (32 - count);
    this.position += count;
    return value;
  }

  bit(): number {
    if (this.position >= this.end)
      throw new ProtocolError('invalid-field', `delta data ends early at bit ${this.position - this.startBit}`);
    const at = this.position++;
    return ((this.bytes[at >>> 3] as number) >>> (7 - (at & 7))) & 1;
  }

  /**
   * The 32 bits from the read position on (bits past the buffer read as 0; past `end` they are
   * whatever follows: callers check a code's length against `end` before taking it).
   */
  private peek32(): number {
    return window32(this.bytes, this.position);
  }

  expGolomb(order: number): number {
    // Fast path, a code of at most 32 bits (every code of a Delta's usual values): the leading
    // zeros counted by clz32, the code taken whole from one 32-bit window.
    const window = this.peek32();
    const zeros = Math.clz32(window);
    const length = 2 * zeros + order + 1;
    if (length <= 32 && this.position + length <= this.end) {
      this.position += length;
      return (length === 32 ? window : window >>> (32 - length)) - (1 << order);
    }
    return this.longExpGolomb(order);
  }

  private longExpGolomb(order: number): number {
    let zeros = 0;
    while (this.bit() === 0) {
      if (++zeros + order + 1 > MAX_BITS)
        throw new ProtocolError('invalid-field', `Exp-Golomb code longer than ${MAX_BITS} bits in delta data`);
    }
    // The leading 1 was just read: w = 2^(zeros + order) + the remaining zeros + order bits.
    let rest = zeros + order;
    let w = 1;
    while (rest > 0) {
      const take = Math.min(rest, CHUNK);
      w = w * 2 ** take + this.bits(take);
      rest -= take;
    }
    return w - 2 ** order;
  }

  signedExpGolomb(order: number): number {
    const zigzag = this.expGolomb(order);
    return zigzag % 2 === 0 ? zigzag / 2 : -(zigzag + 1) / 2;
  }
}
