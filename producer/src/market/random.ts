/**
 * One round of splitmix32's finaliser: spreads a number over all 32 bits, so that seeds 1 and 2
 * (or a seed and its shard number) start generators in unrelated places.
 */
function mix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * The seed of the `stream`-th independent generator of `seed` (a 32-bit unsigned integer). Each
 * consumer of randomness (the universe, the scenario, each shard's model) draws from its own
 * stream, so adding a draw to one never shifts another.
 */
export function deriveSeed(seed: number, stream: number): number {
  const high = Math.floor(seed / 4294967296) >>> 0;
  return mix32(mix32(mix32(seed >>> 0) ^ high) ^ (stream >>> 0));
}

/**
 * The ziggurat's 128 layers for the standard normal (Marsaglia & Tsang, "The Ziggurat Method for
 * Generating Random Variables", 2000): R is where the base strip's tail starts, V each layer's area.
 * KN holds the layers' acceptance thresholds as signed 32-bit magnitudes, WN the scale from an
 * integer to x, FN the density at each layer's edge.
 */
const NORMAL_BATCH = 256;
const ZIGGURAT_R = 3.442619855899;
const ZIGGURAT_V = 9.91256303526217e-3;
const KN = new Float64Array(128);
const WN = new Float64Array(128);
const FN = new Float64Array(128);
{
  const m = 2147483648;
  let d = ZIGGURAT_R;
  let t = d;
  const q = ZIGGURAT_V / Math.exp(-0.5 * d * d);
  KN[0] = (d / q) * m;
  KN[1] = 0;
  WN[0] = q / m;
  WN[127] = d / m;
  FN[0] = 1;
  FN[127] = Math.exp(-0.5 * d * d);
  for (let i = 126; i >= 1; i--) {
    d = Math.sqrt(-2 * Math.log(ZIGGURAT_V / d + Math.exp(-0.5 * d * d)));
    KN[i + 1] = (d / t) * m;
    t = d;
    FN[i] = Math.exp(-0.5 * d * d);
    WN[i] = d / m;
  }
}

/**
 * sfc32 (Chris Doty-Humphrey's small fast counting generator): 128 bits of state in four int32
 * words and a handful of integer operations a draw, with no allocation, so the tick loop can
 * afford several draws a tick. Not for cryptography. The same seed always gives the same sequence.
 */
export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private readonly normals = new Float64Array(NORMAL_BATCH);
  private normalIndex = NORMAL_BATCH;

  constructor(seed: number) {
    if (!Number.isSafeInteger(seed) || seed < 0) {
      throw new RangeError(`a random seed must be a non-negative integer, got ${seed}`);
    }
    this.a = deriveSeed(seed, 1);
    this.b = deriveSeed(seed, 2);
    this.c = deriveSeed(seed, 3);
    this.d = 1; // sfc32's counter; starting it at 1 keeps the state from ever being all zero
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /**
   * Standard normal. Drawn in batches by Marsaglia and Tsang's ziggurat, so that this method is
   * small enough for V8 to inline wherever it is called: a call V8 does not inline returns a
   * double boxed on the heap, one allocation per normal, and the tick loop draws two per tick.
   */
  gaussian(): number {
    if (this.normalIndex === NORMAL_BATCH) this.refillNormals();
    return this.normals[this.normalIndex++] as number;
  }

  /**
   * 98.8 % of ziggurat draws take one 32-bit integer, a comparison and a multiplication (the
   * polar method costs about 40 ns a normal here); the rest go to `normalOutsideLayers`.
   */
  private refillNormals(): void {
    const normals = this.normals;
    for (let k = 0; k < NORMAL_BATCH; k++) {
      const hz = this.nextUint32() | 0;
      const iz = hz & 127;
      normals[k] = Math.abs(hz) < (KN[iz] as number) ? hz * (WN[iz] as number) : this.normalOutsideLayers(hz, iz);
    }
    this.normalIndex = 0;
  }

  /** A draw that fell outside its layer's rectangle: the base strip's tail, or a wedge, by rejection. */
  private normalOutsideLayers(hz: number, iz: number): number {
    for (;;) {
      if (iz === 0) {
        // The tail beyond R, exactly (Marsaglia's method with two exponentials).
        let x: number;
        let y: number;
        do {
          x = this.exponential() / ZIGGURAT_R;
          y = this.exponential();
        } while (y + y < x * x);
        return hz > 0 ? ZIGGURAT_R + x : -ZIGGURAT_R - x;
      }
      const x = hz * (WN[iz] as number);
      const fx = FN[iz] as number;
      if (fx + this.next() * ((FN[iz - 1] as number) - fx) < Math.exp(-0.5 * x * x)) return x;
      hz = this.nextUint32() | 0;
      iz = hz & 127;
      if (Math.abs(hz) < (KN[iz] as number)) return hz * (WN[iz] as number);
    }
  }

  /** Exponential with mean 1: the wait until the next event of a rate-1 Poisson process. */
  exponential(): number {
    // 1 − next() is in (0, 1], so the logarithm is finite.
    return -Math.log(1 - this.next());
  }
}
