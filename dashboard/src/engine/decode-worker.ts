// The decode worker: the WebSocket, lz4 and FlatBuffers decoding and the symbol state live
// here, off the main thread, which gets changed rows as transferable typed arrays per frame;
// so do the charts' history (JSON parsed here), the HTTP summaries and what is computed from them.
import type { SocketConstructor } from './feed-connection.js';
import type { FeedCommand, FeedReport } from './feed-protocol.js';
import { WorkerHub } from './worker-hub.js';

interface WorkerScope {
  postMessage(message: FeedReport, transfer: ArrayBuffer[]): void;
  onmessage: ((event: MessageEvent<FeedCommand>) => void) | null;
}

const scope = globalThis as unknown as WorkerScope;
const hub = new WorkerHub({
  WebSocket: WebSocket as unknown as SocketConstructor,
  fetch: fetch.bind(globalThis),
  report: (report, transfer) => scope.postMessage(report, transfer),
});
scope.onmessage = (event) => hub.command(event.data);
