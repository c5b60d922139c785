import type { Reader } from './reader.js';
import type { Writer } from './writer.js';

/*
 * From a message's first flexible version on, strings, bytes and arrays switch to compact
 * (uvarint length + 1) encodings and every struct ends with a tagged-field section. These
 * wrappers let one handler read and write every version of its message: it says `string()`,
 * the wrapper picks the encoding, and `tags()` is a no-op below the flexible versions.
 */

export interface FieldReader {
  readonly flexible: boolean;
  string(): string;
  nullableString(): string | null;
  bytes(): Buffer;
  array<T>(readItem: () => T): T[];
  nullableArray<T>(readItem: () => T): T[] | null;
  /** The tagged-field section ending a struct (flexible versions only). */
  tags(): void;
}

export function fieldReader(reader: Reader, flexible: boolean): FieldReader {
  return {
    flexible,
    string: () => (flexible ? reader.compactString() : reader.string()),
    nullableString: () => (flexible ? reader.compactNullableString() : reader.nullableString()),
    bytes: () => (flexible ? reader.compactBytes() : reader.bytes()),
    array: (readItem) => (flexible ? reader.compactArray(readItem) : reader.array(readItem)),
    nullableArray: (readItem) => (flexible ? reader.compactNullableArray(readItem) : reader.nullableArray(readItem)),
    tags: () => {
      if (flexible) reader.taggedFields();
    },
  };
}

export interface FieldWriter {
  readonly flexible: boolean;
  string(value: string): void;
  nullableString(value: string | null): void;
  bytes(value: Uint8Array): void;
  array<T>(items: readonly T[], writeItem: (item: T) => void): void;
  nullableArray<T>(items: readonly T[] | null, writeItem: (item: T) => void): void;
  /** An empty tagged-field section ending a struct (flexible versions only). */
  tags(): void;
}

export function fieldWriter(writer: Writer, flexible: boolean): FieldWriter {
  const array = <T>(items: readonly T[], writeItem: (item: T) => void): void => {
    if (flexible) writer.uvarint(items.length + 1);
    else writer.int32(items.length);
    for (const item of items) writeItem(item);
  };
  return {
    flexible,
    string: (value) => void (flexible ? writer.compactString(value) : writer.string(value)),
    nullableString: (value) => void (flexible ? writer.compactNullableString(value) : writer.nullableString(value)),
    bytes: (value) => void (flexible ? writer.compactBytes(value) : writer.bytes(value)),
    array,
    nullableArray: (items, writeItem) => {
      if (items !== null) array(items, writeItem);
      else if (flexible) writer.uvarint(0);
      else writer.int32(-1);
    },
    tags: () => {
      if (flexible) writer.taggedFields();
    },
  };
}
