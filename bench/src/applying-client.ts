import { TickstreamClient } from '@tickstream/client';
import WebSocket from 'ws';

export interface ApplyingClientHandlers {
  /** Each symbol update applied, with its age: now minus the symbol's exchange time, µs (may be < 0 across clocks). */
  onUpdate(ageUs: number): void;
  /** Each WebSocket message received, with its payload bytes. */
  onMessage?(bytes: number): void;
}

/**
 * A benchmark's edge client: a @tickstream/client on `ws` that does with every frame what the
 * dashboard does (decodes it, applies it to its book, checks the sequence and resyncs on a gap),
 * reporting each applied symbol update's age. No reconnects: a benchmark's client that loses its
 * edge has failed. `ready` resolves at the first Snapshot.
 */
export class ApplyingEdgeClient {
  readonly client: TickstreamClient;
  readonly ready: Promise<void>;

  constructor(url: string, symbols: string[], handlers: ApplyingClientHandlers) {
    const { onMessage } = handlers;
    this.client = new TickstreamClient({
      url,
      symbols,
      reconnect: false,
      pingEveryMs: 0,
      createSocket(target) {
        const socket = new WebSocket(target, { perMessageDeflate: false });
        if (onMessage) socket.on('message', (data: ArrayBuffer) => onMessage(data.byteLength));
        return socket;
      },
    });
    this.client.on('update', ({ book, count, ids }) => {
      const nowUs = Date.now() * 1000;
      const timeUs = book.table.timeUs;
      for (let i = 0; i < count; i++) handlers.onUpdate(nowUs - (timeUs[ids[i] as number] as number));
    });
    this.ready = this.client
      .connect()
      .whenLive()
      .then(() => {});
  }

  /** Sequence gaps seen (each answered by a Resync). */
  get gaps(): number {
    return this.client.live.gaps;
  }

  close(): void {
    this.client.close();
  }
}
