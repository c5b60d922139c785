import type { QuoteFields } from '@tickstream/schemas';
import { TestClient } from '../../../edge/src/testing/test-client.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A client as a dashboard behaves: through the balancer, subscribes, and when its connection
 * drops, reconnects (with a little jitter, as a storm of them should), subscribes again and
 * replaces its state with the Snapshot that answers. Each connection is a fresh TestClient, which
 * applies Snapshots and Deltas and resyncs on a gap as docs/protocol.md says.
 */
export class MovingClient {
  client!: TestClient;
  edgeId = '';
  readonly epochs: number[] = [];
  /** When the Snapshot of the latest connection arrived. */
  syncedAtMs = 0;
  private closing = false;

  /** Connections that failed (refused, closed before a Snapshot) on the way to a live one. */
  failedAttempts = 0;
  /** When each connection after the first was lost, and when its replacement had its Snapshot. */
  readonly moves: { lostAtMs: number; syncedAtMs: number; closeCode: number }[] = [];

  constructor(
    private readonly url: string,
    readonly symbols: string[],
    /** PEM CAs for wss:// through a balancer with a test certificate. */
    private readonly ca?: string,
  ) {}

  async open(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        const client = await TestClient.connect(this.url, {}, this.ca);
        client.socket.on('close', (code) => {
          if (this.closing || client !== this.client) return;
          this.moves.push({ lostAtMs: Date.now(), syncedAtMs: 0, closeCode: code });
          void this.open();
        });
        this.client = client;
        const hello = await client.next('hello');
        this.edgeId = hello.edgeId;
        this.epochs.push(hello.epoch);
        client.send({ type: 'subscribe', symbols: this.symbols, sectors: [] });
        await client.next('snapshot');
        this.syncedAtMs = Date.now();
        const move = this.moves.at(-1);
        if (move && move.syncedAtMs === 0) move.syncedAtMs = this.syncedAtMs;
        return;
      } catch (error) {
        if (this.closing) return;
        this.failedAttempts++;
        if (attempt > 100) throw error;
        await sleep(Math.min(500, 25 * 2 ** attempt) * (0.5 + Math.random()));
      }
    }
  }

  /** Its table by symbol name: ids belong to an epoch, so two edges number symbols differently. */
  quotes(): Map<string, Omit<QuoteFields, 'id'>> {
    return new Map(
      [...this.client.names].map(([id, name]) => {
        const { id: _, ...quote } = this.client.table.row(id);
        return [name, quote];
      }),
    );
  }

  close(): void {
    this.closing = true;
    this.client?.close();
  }
}
