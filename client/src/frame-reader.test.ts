import {
  applyDelta,
  Channel,
  DeltaWriter,
  decodeServerFrame,
  jsLz4,
  ProtocolError,
  QuoteTable,
  ServerFrameEncoder,
} from '@tickstream/schemas';
import { nodeLz4 } from '@tickstream/schemas/lz4-node';
import { describe, expect, it } from 'vitest';
import { goldenMessages } from '../../schemas/src/golden.fixture.js';
import { FrameReader, MessageType } from './frame-reader.js';
import { QuoteBook } from './quote-book.js';

const options = { lz4: jsLz4 };

/** A market of `symbols` and `windows` Deltas over it, as the edge encodes them. */
function deltaFrames(symbols: number, windows: number, channel = Channel.Live) {
  const encoder = new ServerFrameEncoder({ lz4: nodeLz4 }, channel);
  const current = new QuoteTable(symbols);
  const published = new QuoteTable(symbols);
  const base = 1_795_000_000_000_000;
  const quotes = Array.from({ length: symbols }, (_, id) => ({
    id,
    last: 1_000_000 + id * 100,
    bid: 999_900 + id * 100,
    ask: 1_000_100 + id * 100,
    open: 1_000_000,
    high: 1_000_000 + id * 100,
    low: 1_000_000,
    volume: 1000,
    ticks: 10,
    exchangeTimeUs: base,
  }));
  for (const quote of quotes) {
    current.setRow(quote.id, quote);
    published.setRow(quote.id, quote);
  }
  const snapshot = encoder.snapshot(
    9,
    1,
    quotes.map(({ id }) => ({ id, name: `S${id}`, sector: 'Tech' })),
    quotes,
  );
  const writer = new DeltaWriter();
  const frames: Uint8Array[] = [];
  let seed = 7;
  for (let w = 0; w < windows; w++) {
    const time = base + (w + 1) * 25_000;
    writer.begin(time);
    for (let id = 0; id < symbols; id++) {
      seed = (seed * 16807) % 2147483647;
      if (seed % 3 === 0) continue;
      current.last[id] = (current.last[id] as number) + ((seed % 201) - 100);
      current.bid[id] = (current.last[id] as number) - 100 - (seed % 3);
      current.ask[id] = (current.last[id] as number) + 100;
      current.high[id] = Math.max(current.high[id] as number, current.last[id] as number);
      current.low[id] = Math.min(current.low[id] as number, current.last[id] as number);
      current.volume[id] = (current.volume[id] as number) + 100;
      current.ticks[id] = (current.ticks[id] as number) + 1;
      current.timeUs[id] = time - (seed % 20_000);
      writer.add(id, current, published);
    }
    frames.push(encoder.delta(9, w + 2, writer.finish()));
  }
  return { snapshot, frames, final: published };
}

describe('FrameReader: server frames read in place', () => {
  it('reads every committed golden frame as schemas decodes it', () => {
    const reader = new FrameReader();
    for (const [name, frame] of Object.entries(goldenMessages())) {
      const format = (frame[0] as number) >> 4;
      if (name === 'tick' || name === 'marketEvent' || !(format === 1 || format === 2)) continue;
      let decoded: ReturnType<typeof decodeServerFrame>;
      try {
        decoded = decodeServerFrame(frame, options);
      } catch {
        continue; // a client frame
      }
      reader.read(frame);
      const fields = decoded as { epoch?: number; seq?: number; channel?: number };
      if (fields.seq !== undefined) expect(reader.seq, name).toBe(fields.seq);
      if (decoded.type === 'delta') expect(reader.epoch, name).toBe(decoded.epoch);
      if (fields.channel !== undefined) expect(reader.channel, name).toBe(fields.channel);
      expect(reader.type === MessageType.Delta, name).toBe(decoded.type === 'delta');
    }
  });

  it('applies Deltas from the frame bytes exactly as applyDelta does, on either channel', () => {
    for (const channel of [Channel.Live, Channel.Replay]) {
      const { snapshot, frames, final } = deltaFrames(300, 40, channel);
      const book = new QuoteBook(channel === Channel.Replay);
      const reference = new QuoteTable(300);
      const first = decodeServerFrame(snapshot, options);
      if (first.type !== 'snapshot') throw new Error('expected a snapshot');
      book.replace(first.epoch, first.seq, first.symbols, first.quotes);
      for (const quote of first.quotes) reference.setRow(quote.id, quote);
      const reader = new FrameReader();
      const ids = new Uint16Array(300);
      const masks = new Uint8Array(300);
      // Protocol 5: every Delta in its own frame (format 2), never lz4-compressed; bit 0 the channel.
      expect(frames.every((frame) => ((frame[0] as number) & 0xf1) === (0x20 | channel))).toBe(true);
      for (const frame of frames) {
        reader.read(frame);
        expect(reader.type).toBe(MessageType.Delta);
        expect(reader.channel).toBe(channel);
        reader.readDelta();
        const decoded = decodeServerFrame(frame, options);
        if (decoded.type !== 'delta') throw new Error('expected a delta');
        expect([reader.count, reader.baseTimeUs, reader.epoch, reader.seq]).toEqual([
          decoded.count,
          decoded.baseTimeUs,
          decoded.epoch,
          decoded.seq,
        ]);
        const seen: number[] = [];
        applyDelta(decoded, reference, (id) => seen.push(id));
        const count = book.applyDelta(
          reader.bytes,
          reader.dataStart,
          reader.dataEnd,
          reader.count,
          reader.baseTimeUs,
          ids,
          masks,
        );
        expect(Array.from(ids.subarray(0, count))).toEqual(seen);
      }
      for (let id = 0; id < 300; id++) expect(book.quote(id)).toEqual(final.row(id));
    }
  });

  it('ends any hostile input in a ProtocolError or a frame, never another error', () => {
    const { frames } = deltaFrames(50, 20);
    const golden = Object.values(goldenMessages());
    const reader = new FrameReader(64 * 1024);
    const book = new QuoteBook(false);
    book.replace(
      9,
      1,
      Array.from({ length: 50 }, (_, id) => ({ id, name: `S${id}`, sector: '' })),
      [],
    );
    const ids = new Uint16Array(1 << 16);
    const masks = new Uint8Array(1 << 16);
    let state = 42;
    const random = (): number => {
      state = (state * 1103515245 + 12345) & 0x7fffffff;
      return state / 0x80000000;
    };
    let errors = 0;
    for (let i = 0; i < 50_000; i++) {
      const source = (i % 2 === 0 ? frames : golden)[
        Math.floor(random() * 20) % (i % 2 === 0 ? frames.length : golden.length)
      ] as Uint8Array;
      const mutated = Uint8Array.from(source);
      for (let flips = 1 + Math.floor(random() * 4); flips > 0; flips--)
        mutated[Math.floor(random() * mutated.length)] = Math.floor(random() * 256);
      const cut = random() < 0.2 ? mutated.subarray(0, Math.floor(random() * mutated.length)) : mutated;
      try {
        reader.read(cut);
        if (reader.type === MessageType.Delta) {
          reader.readDelta();
          book.applyDelta(reader.bytes, reader.dataStart, reader.dataEnd, reader.count, reader.baseTimeUs, ids, masks);
        }
      } catch (error) {
        if (!(error instanceof ProtocolError)) throw error;
        errors++;
      }
    }
    expect(errors).toBeGreaterThan(1000);
  });
});
