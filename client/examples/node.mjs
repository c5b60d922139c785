// Node: the newest quotes of two symbols, 20 updates, then exit. `npm install @tickstream/client ws`
import { TickstreamClient } from '@tickstream/client';
import WebSocket from 'ws';

const url = process.argv[2] ?? 'ws://127.0.0.1:8080/ws';
const client = new TickstreamClient({ url, WebSocket, symbols: ['AAPL', 'MSFT'] });
let updates = 0;

client.on('snapshot', (book) => console.log(`snapshot: ${book.size} symbols at seq ${book.seq}`));
client.on('update', ({ book, count, ids }) => {
  // `book` is the client's state, Deltas already applied; prices are × 10,000.
  for (let i = 0; i < count; i++) {
    const id = ids[i];
    console.log(`${book.names[id]} ${book.table.last[id] / 10_000} (${book.table.ticks[id]} ticks)`);
  }
  updates += count;
  if (updates >= 20) client.close();
});
client.on('error', ({ code, message }) => console.error(`edge error ${code}: ${message}`));
client.connect();
