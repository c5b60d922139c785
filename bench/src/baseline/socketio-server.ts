import { createServer } from 'node:http';
import { decodeTick, PRICE_SCALE } from '@tickstream/schemas';
import { kafkaLz4Codec } from '@tickstream/schemas/lz4-node';
import kafkajs from 'kafkajs';
import { Server } from 'socket.io';

const { CompressionCodecs, CompressionTypes, Kafka, logLevel } = kafkajs;
CompressionCodecs[CompressionTypes.LZ4] = kafkaLz4Codec;

/**
 * The seeds' design, the baseline of issue 9: a Node Socket.IO server that consumes `ticks`
 * with kafkajs and emits one JSON message per tick to the symbol's room, in the seeds' shape:
 * `stock_update` with symbol, price, change and change_percent (against the symbol's first price
 * this server saw, rounded to cents and hundredths of a percent), volume and an ISO timestamp
 * with microseconds and no zone, as Python's `isoformat()` writes it. Clients send
 * `subscribe` with an array of symbols and join those rooms. `GET /stats` answers the ticks
 * consumed so far and the symbols seen (the benchmark waits for them and subscribes to them).
 *
 *   node bench/dist/baseline/socketio-server.js --brokers HOST:PORT --port P
 */
function parse(argv: string[]): { brokers: string; port: number } {
  let brokers = '127.0.0.1:9092';
  let port = 3000;
  for (let i = 0; i < argv.length; i += 2) {
    const [name, value] = [argv[i], argv[i + 1]];
    if (name === '--brokers' && value) brokers = value;
    else if (name === '--port' && value && /^\d+$/.test(value)) port = Number(value);
    else {
      process.stderr.write('usage: node bench/dist/baseline/socketio-server.js --brokers HOST:PORT --port P\n');
      process.exit(2);
    }
  }
  return { brokers, port };
}

const options = parse(process.argv.slice(2));
const symbols = new Set<string>();
/** Each symbol's first price seen: what the seeds' change and change_percent are relative to. */
const openPrices = new Map<string, number>();
const round2 = (value: number): number => Math.round(value * 100) / 100;
/** `2026-11-24T15:04:32.123456`: UTC, microseconds, no zone (Python's datetime.isoformat()). */
const isoMicros = (timeUs: number): string =>
  `${new Date(Math.floor(timeUs / 1000)).toISOString().slice(0, 23)}${String(timeUs % 1000).padStart(3, '0')}`;
let ticks = 0;
/** Sum over ticks of (emit time − exchange time), ms: where the latency is spent, server side or after. */
let emitAgeMs = 0;

const http = createServer((request, response) => {
  if (request.url === '/stats') {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ ticks, emitAgeMs, symbols: [...symbols] }));
  }
  // Anything else is Socket.IO's (it answers /socket.io/ itself) or a 404 it leaves to Node.
});
const io = new Server(http, { transports: ['websocket'], serveClient: false });

io.on('connection', (socket) => {
  // The acknowledgement tells the benchmark the rooms are joined (join is synchronous in-process).
  socket.on('subscribe', (list: unknown, ack?: unknown) => {
    if (Array.isArray(list)) for (const symbol of list) if (typeof symbol === 'string') void socket.join(symbol);
    if (typeof ack === 'function') ack();
  });
});

const consumer = new Kafka({
  clientId: 'socketio-baseline',
  brokers: [options.brokers],
  logLevel: logLevel.NOTHING,
}).consumer(
  // The edge's fetch wait (kafkajs' default is 5 s): what is compared is the fan-out, not the fetch.
  { groupId: `socketio-baseline-${process.pid}-${Date.now()}`, maxWaitTimeInMs: 500 },
);
await consumer.connect();
await consumer.subscribe({ topic: 'ticks', fromBeginning: false });
await consumer.run({
  autoCommit: false,
  eachMessage: async ({ message }) => {
    if (message.value === null) return;
    const tick = decodeTick(new Uint8Array(message.value.buffer, message.value.byteOffset, message.value.length));
    ticks++;
    emitAgeMs += Date.now() - tick.exchangeTimeUs / 1000;
    symbols.add(tick.symbol);
    const price = tick.price / PRICE_SCALE;
    let open = openPrices.get(tick.symbol);
    if (open === undefined) {
      open = price;
      openPrices.set(tick.symbol, price);
    }
    io.to(tick.symbol).emit('stock_update', {
      symbol: tick.symbol,
      price,
      change: round2(price - open),
      change_percent: round2(((price - open) / open) * 100),
      volume: tick.size,
      timestamp: isoMicros(tick.exchangeTimeUs),
    });
  },
});

http.listen(options.port, '127.0.0.1', () => {
  process.stdout.write(`listening on http://127.0.0.1:${options.port}\n`);
});

const shutdown = (): void => {
  void consumer
    .disconnect()
    .catch(() => {})
    .finally(() => {
      void io.close();
      process.exit(0);
    });
  setTimeout(() => process.exit(0), 3000).unref();
};
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
