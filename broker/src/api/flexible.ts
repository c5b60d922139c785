import type { Reader } from '../protocol/reader.js';
import type { Writer } from '../protocol/writer.js';

/**
 * The one difference between a flexible version of a message and the version before it
 * (kafka-protocol.md §1): compact strings and arrays, and a tagged-field section closing every
 * struct. A handler serving both picks its codec once per request and writes the grammar once.
 */
export interface WireCodec {
  readonly flexible: boolean;
  readString(reader: Reader): string;
  readNullableString(reader: Reader): string | null;
  readArray<T>(reader: Reader, readItem: (reader: Reader) => T): T[];
  readNullableArray<T>(reader: Reader, readItem: (reader: Reader) => T): T[] | null;
  /** Skips the tagged fields closing a struct (flexible only). */
  skipTags(reader: Reader): void;
  writeString(writer: Writer, value: string): void;
  writeNullableString(writer: Writer, value: string | null): void;
  writeArray<W extends Writer, T>(writer: W, items: readonly T[], writeItem: (writer: W, item: T) => void): void;
  writeNullableArray<W extends Writer, T>(
    writer: W,
    items: readonly T[] | null,
    writeItem: (writer: W, item: T) => void,
  ): void;
  /** Closes a struct with an empty tagged-field section (flexible only). */
  writeTags(writer: Writer): void;
}

const classic: WireCodec = {
  flexible: false,
  readString: (reader) => reader.string(),
  readNullableString: (reader) => reader.nullableString(),
  readArray: (reader, readItem) => reader.array(readItem),
  readNullableArray: (reader, readItem) => reader.nullableArray(readItem),
  skipTags: () => {},
  writeString: (writer, value) => void writer.string(value),
  writeNullableString: (writer, value) => void writer.nullableString(value),
  writeArray: (writer, items, writeItem) => void writer.array(items, writeItem),
  writeNullableArray: (writer, items, writeItem) => void writer.nullableArray(items, writeItem),
  writeTags: () => {},
};

const compact: WireCodec = {
  flexible: true,
  readString: (reader) => reader.compactString(),
  readNullableString: (reader) => reader.compactNullableString(),
  readArray: (reader, readItem) => reader.compactArray(readItem),
  readNullableArray: (reader, readItem) => reader.compactNullableArray(readItem),
  skipTags: (reader) => reader.taggedFields(),
  writeString: (writer, value) => void writer.compactString(value),
  writeNullableString: (writer, value) => void writer.compactNullableString(value),
  writeArray: (writer, items, writeItem) => void writer.compactArray(items, writeItem),
  writeNullableArray: (writer, items, writeItem) => {
    if (items === null) writer.uvarint(0);
    else writer.compactArray(items, writeItem);
  },
  writeTags: (writer) => void writer.taggedFields(),
};

export function flexibleCodec(flexible: boolean): WireCodec {
  return flexible ? compact : classic;
}
