import { ProtocolError } from './protocol-error.js';

/**
 * Varints for the Delta byte string: LEB128 for values known to be ≥ 0, zigzag for signed.
 * Values are JS numbers up to 2^53 (prices × 10,000 and volumes stay far below), so the
 * arithmetic is done with * and / rather than 32-bit bit operators.
 */
export class VarintWriter {
  private bytes: Uint8Array;
  length = 0;

  constructor(initialSize = 1024) {
    this.bytes = new Uint8Array(initialSize);
  }

  reset(): void {
    this.length = 0;
  }

  private ensure(extra: number): void {
    if (this.length + extra <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.length + extra));
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }

  byte(value: number): void {
    this.ensure(1);
    this.bytes[this.length++] = value;
  }

  unsigned(value: number): void {
    this.ensure(8);
    let rest = value;
    while (rest >= 0x80) {
      this.bytes[this.length++] = (rest % 0x80) | 0x80;
      rest = Math.floor(rest / 0x80);
    }
    this.bytes[this.length++] = rest;
  }

  signed(value: number): void {
    this.unsigned(value >= 0 ? value * 2 : -value * 2 - 1);
  }

  /** Appends raw bytes, e.g. a pre-encoded delta entry. */
  append(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.bytes.set(bytes, this.length);
    this.length += bytes.length;
  }

  /** The bytes written so far (a view: copy before the next reset if it must be kept). */
  view(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }
}

export class VarintReader {
  /** Bytes read so far. */
  position = 0;

  constructor(private readonly bytes: Uint8Array) {}

  get done(): boolean {
    return this.position >= this.bytes.length;
  }

  byte(): number {
    const value = this.bytes[this.position];
    if (value === undefined) throw new ProtocolError('invalid-field', `delta data ends early at byte ${this.position}`);
    this.position++;
    return value;
  }

  unsigned(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const byte = this.byte();
      value += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) return value;
      scale *= 0x80;
    }
    throw new ProtocolError('invalid-field', `varint longer than 8 bytes at byte ${this.position}`);
  }

  signed(): number {
    const zigzag = this.unsigned();
    return zigzag % 2 === 0 ? zigzag / 2 : -(zigzag + 1) / 2;
  }
}
