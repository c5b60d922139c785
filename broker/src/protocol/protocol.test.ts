import { describe, expect, it } from 'vitest';
import { MalformedRequestError } from './errors.js';
import { Reader } from './reader.js';
import { VersionedReader, VersionedWriter } from './versioned.js';
import { Writer } from './writer.js';

function written(writer: Writer): Reader {
  return new Reader(Buffer.concat(writer.finish()));
}

describe('Writer', () => {
  it('keeps every field when the scratch buffer grows between fields', () => {
    // A tiny initial buffer forces a regrowth inside nearly every write.
    const writer = new Writer(3);
    for (let i = 0; i < 200; i++) {
      writer
        .int8(i % 100)
        .int16(-1 - i)
        .int32(i * 1000)
        .int64(2 ** 40 + i)
        .string(`topic-${i}`)
        .uvarint(i * 300)
        .compactString(`c${i}`);
    }
    const reader = written(writer);
    for (let i = 0; i < 200; i++) {
      expect(reader.int8()).toBe(i % 100);
      expect(reader.int16()).toBe(-1 - i);
      expect(reader.int32()).toBe(i * 1000);
      expect(reader.int64()).toBe(2 ** 40 + i);
      expect(reader.string()).toBe(`topic-${i}`);
      expect(reader.uvarint()).toBe(i * 300);
      expect(reader.compactString()).toBe(`c${i}`);
    }
    expect(reader.remaining).toBe(0);
  });

  it('passes large record buffers through as their own chunks, in order', () => {
    const big = Buffer.alloc(5000, 7);
    const small = Buffer.from([1, 2, 3]);
    const writer = new Writer(16).string('before').records([big, small]).int32(42);
    const chunks = writer.finish();
    expect(chunks).toContain(big);
    const reader = new Reader(Buffer.concat(chunks));
    expect(reader.string()).toBe('before');
    const records = reader.bytes();
    expect(records.length).toBe(5003);
    expect(records.subarray(0, 5000).every((byte) => byte === 7)).toBe(true);
    expect([...records.subarray(5000)]).toEqual([1, 2, 3]);
    expect(reader.int32()).toBe(42);
  });
});

describe('Reader', () => {
  it('rejects a length longer than the bytes there', () => {
    const reader = new Reader(Buffer.from([0x00, 0x10, 0x61]));
    expect(() => reader.string()).toThrow(MalformedRequestError);
  });

  it('rejects an array count larger than the bytes left before allocating', () => {
    const reader = new Reader(Buffer.from([0x7f, 0xff, 0xff, 0xff, 0x00]));
    expect(() => reader.array((r) => r.int8())).toThrow(/array count 2147483647/);
  });
});

describe('VersionedReader and VersionedWriter', () => {
  interface Topic {
    name: string;
    id: Buffer;
    partitions: number[];
    note: string | null;
  }
  const topics: Topic[] = [
    { name: 'ticks', id: Buffer.alloc(16, 0xab), partitions: [0, 1], note: null },
    { name: 'alerts', id: Buffer.alloc(16, 0x01), partitions: [], note: 'compacted' },
  ];
  const write = (flexible: boolean): Buffer => {
    const writer = new Writer();
    new VersionedWriter(writer, flexible)
      .int32(7)
      .string('group')
      .nullableString(null)
      .bytes(Buffer.from([9, 9]))
      .structArray(topics, (w, topic) => {
        w.string(topic.name)
          .uuid(topic.id)
          .array(topic.partitions, (p, partition) => p.int32(partition))
          .nullableString(topic.note);
      })
      .nullableArray(null, () => {})
      .endStruct();
    return Buffer.concat(writer.finish());
  };

  it('writes the classic encodings below the flexible versions and compact ones with tag sections from them', () => {
    const topic = (name: string, fill: number, partitions: number[], note: string | null): Buffer[] => [
      Buffer.from([0, name.length]),
      Buffer.from(name),
      Buffer.alloc(16, fill),
      ...[Buffer.from([0, 0, 0, partitions.length]), ...partitions.map((p) => Buffer.from([0, 0, 0, p]))],
      note === null ? Buffer.from([0xff, 0xff]) : Buffer.concat([Buffer.from([0, note.length]), Buffer.from(note)]),
    ];
    expect(write(false)).toEqual(
      Buffer.concat([
        Buffer.from([0, 0, 0, 7, 0, 5]),
        Buffer.from('group'),
        Buffer.from([0xff, 0xff, 0, 0, 0, 2, 9, 9, 0, 0, 0, 2]),
        ...topic('ticks', 0xab, [0, 1], null),
        ...topic('alerts', 0x01, [], 'compacted'),
        Buffer.from([0xff, 0xff, 0xff, 0xff]),
      ]),
    );
    const compactTopic = (name: string, fill: number, partitions: number[], note: string | null): Buffer[] => [
      Buffer.from([name.length + 1]),
      Buffer.from(name),
      Buffer.alloc(16, fill),
      Buffer.from([partitions.length + 1, ...partitions.flatMap((p) => [0, 0, 0, p])]),
      note === null ? Buffer.from([0]) : Buffer.concat([Buffer.from([note.length + 1]), Buffer.from(note)]),
      Buffer.from([0]), // the element's tag section
    ];
    expect(write(true)).toEqual(
      Buffer.concat([
        Buffer.from([0, 0, 0, 7, 6]),
        Buffer.from('group'),
        Buffer.from([0, 3, 9, 9, 3]),
        ...compactTopic('ticks', 0xab, [0, 1], null),
        ...compactTopic('alerts', 0x01, [], 'compacted'),
        Buffer.from([0, 0]), // the null array, then the body's tag section
      ]),
    );
  });

  for (const flexible of [false, true]) {
    it(`reads back what it wrote (${flexible ? 'flexible' : 'classic'})`, () => {
      const reader = new Reader(write(flexible));
      const r = new VersionedReader(reader, flexible);
      expect([r.int32(), r.string(), r.nullableString(), [...r.bytes()]]).toEqual([7, 'group', null, [9, 9]]);
      expect(
        r.structArray((t) => ({
          name: t.string(),
          id: t.uuid(),
          partitions: t.array((p) => p.int32()),
          note: t.nullableString(),
        })),
      ).toEqual(topics);
      expect(r.nullableStructArray(() => 0)).toBeNull();
      r.endStruct();
      expect(reader.remaining).toBe(0);
    });
  }
});
