import {
  applyDelta,
  decodeServerFrame,
  encodeClientFrame,
  type FrameOptions,
  QuoteTable,
  type ServerMessageFields,
} from '@tickstream/schemas';
import { nodeLz4 } from '@tickstream/schemas/lz4-node';
import WebSocket from 'ws';

const frameOptions: FrameOptions = { lz4: nodeLz4 };

export interface ApplyingClientHandlers {
  /** Each symbol update applied, with its age: now minus the symbol's exchange time, µs (may be < 0 across clocks). */
  onUpdate(ageUs: number): void;
  /** Each WebSocket message received, with its payload bytes. */
  onMessage?(bytes: number): void;
}

/**
 * An edge client on `ws` that does with every frame what the dashboard does: decodes it (lz4,
 * FlatBuffers), applies it to its own QuoteTable and checks the sequence, asking for a Resync
 * on a gap. `ready` resolves at the first Snapshot.
 */
export class ApplyingEdgeClient {
  readonly socket: WebSocket;
  readonly ready: Promise<void>;
  gaps = 0;
  private table = new QuoteTable(4096);
  private lastSeq = -1;
  private awaitingSnapshot = true;

  constructor(
    url: string,
    symbols: string[],
    private readonly handlers: ApplyingClientHandlers,
  ) {
    this.socket = new WebSocket(url, { perMessageDeflate: false });
    this.ready = new Promise((resolve, reject) => {
      this.socket.once('error', reject);
      this.socket.once('open', () => {
        this.socket.send(encodeClientFrame({ type: 'subscribe', symbols, sectors: [] }, frameOptions));
      });
      this.socket.on('message', (data: Buffer) => {
        this.handlers.onMessage?.(data.length);
        const message = decodeServerFrame(new Uint8Array(data.buffer, data.byteOffset, data.length), frameOptions);
        this.apply(message);
        if (message.type === 'snapshot') resolve();
      });
    });
  }

  private readonly record = (id: number): void => {
    this.handlers.onUpdate(Date.now() * 1000 - (this.table.timeUs[id] as number));
  };

  private apply(message: ServerMessageFields): void {
    if (message.type === 'snapshot') {
      let maxId = 0;
      for (const quote of message.quotes) maxId = Math.max(maxId, quote.id);
      if (maxId >= this.table.capacity) this.table = new QuoteTable(maxId + 1024);
      for (const quote of message.quotes) this.table.setRow(quote.id, quote);
      this.lastSeq = message.seq;
      this.awaitingSnapshot = false;
    } else if (message.type === 'delta' && !this.awaitingSnapshot) {
      if (message.seq !== this.lastSeq + 1) {
        this.gaps++;
        this.awaitingSnapshot = true;
        this.socket.send(encodeClientFrame({ type: 'resync', lastSeq: this.lastSeq }, frameOptions));
        return;
      }
      applyDelta(message, this.table, this.record);
      this.lastSeq = message.seq;
    }
  }
}
