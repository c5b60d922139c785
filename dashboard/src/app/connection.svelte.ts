import type { ConnectionStatus, Engine, PerformanceSample } from '../engine/index.js';
import { activity } from './activity.svelte.js';

/** What people read about the connection: status and the once-a-second figures. */
class Connection {
  status = $state<ConnectionStatus>('connecting');
  detail = $state('');
  symbols = $state(0);
  sample = $state.raw<PerformanceSample | null>(null);
  history = $state.raw<PerformanceSample[]>([]);
  /** A replay is shown instead of the live market: the status says so, never "live". */
  replaying = $state(false);

  bind(engine: Engine): () => void {
    const offs = [
      engine.on('status', (status, detail) => {
        this.status = status;
        this.detail = detail;
        activity.add({
          atMs: Date.now(),
          kind: 'connection',
          message: `status: ${status}${detail ? ` (${detail})` : ''}`,
        });
      }),
      engine.on('log', (entry) => activity.add(entry)),
      engine.on('replay', (replay) => {
        this.replaying = replay !== null;
      }),
      engine.on('universe', () => {
        this.symbols = engine.book.size;
      }),
      engine.on('sample', (sample) => {
        this.sample = sample;
        this.history = [...engine.meter.history];
      }),
    ];
    return () => {
      for (const off of offs) off();
    };
  }
}

export const connection = new Connection();

export const STATUS_LABEL: Record<ConnectionStatus, string> = {
  connecting: 'connecting',
  live: 'live',
  stale: 'stale',
  reconnecting: 'reconnecting',
  'kafka-down': 'Kafka down',
};
