import type * as Uws from 'uWebSockets.js';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { decodeClientFrame, ServerFrameEncoder } from '@tickstream/schemas';
import { FRAME_OPTIONS } from './feed-recording.js';

/**
 * The fan-out reference of the throughput bench (issue 24): the least a uWebSockets.js server can
 * do to send what the edge sent. A process of its own, so /proc gives its CPU alone. Each client's
 * Subscribe puts it on one uWS topic (named after its first symbol: the bench's pages are
 * disjoint) and is answered by an empty Snapshot, which is all the bench's counting clients need
 * to count as subscribed. From then on every topic gets `--frames-per-second` frames of
 * `--frame-bytes` through `app.publish`, which walks the members and corks in C++: no Kafka, no
 * state, no encoding, no per-socket JavaScript. The frames' bytes are zeros; nobody decodes them.
 *
 *   node bench/dist/bare-uws-publisher.js --frames-per-second 40 --frame-bytes 120
 *
 * prints `listening on PORT` once it serves ws://127.0.0.1:PORT/ws.
 */

function loadNativeUws(): typeof Uws {
  const require = createRequire(import.meta.url);
  const uws = require('uWebSockets.js') as typeof Uws;
  // The package falls back to pure JS when its binary does not load: a reference it would not be.
  const packageDir = dirname(dirname(require.resolve('uWebSockets.js')));
  if (!Object.keys(require.cache).some((path) => path.startsWith(packageDir) && path.endsWith('.node')))
    throw new Error(`uWebSockets.js has no native binary for Node ${process.versions.node} here`);
  return uws;
}

function positiveFlag(args: string[], name: string): number {
  const raw = args[args.indexOf(name) + 1];
  const value = Number(raw);
  if (!args.includes(name) || !Number.isFinite(value) || value <= 0) {
    process.stderr.write(`bare-uws-publisher: ${name} must be a positive number, got '${raw ?? ''}'\n`);
    process.exit(2);
  }
  return value;
}

function serve(framesPerSecond: number, frameBytes: number): void {
  const uws = loadNativeUws();
  const payload = new Uint8Array(Math.round(frameBytes));
  const snapshot = new ServerFrameEncoder(FRAME_OPTIONS).snapshot(1, 0, [], []);
  const topics = new Set<string>();
  const app = uws.App();
  app.ws('/ws', {
    compression: uws.DISABLED,
    idleTimeout: 0,
    maxPayloadLength: 64 * 1024,
    maxBackpressure: 1024 * 1024,
    message: (ws, message) => {
      const request = decodeClientFrame(new Uint8Array(message), FRAME_OPTIONS);
      if (request.type !== 'subscribe') return;
      const topic = request.symbols[0] ?? '*';
      ws.subscribe(topic);
      topics.add(topic);
      ws.send(snapshot, true);
    },
  });
  app.listen('127.0.0.1', 0, (listenSocket) => {
    if (listenSocket === false) {
      process.stderr.write('bare-uws-publisher: could not listen on 127.0.0.1\n');
      process.exit(1);
    }
    process.stdout.write(`listening on ${uws.us_socket_local_port(listenSocket)}\n`);
  });
  // Frames due since the start, not one per timer tick: a late timer catches up, so the count holds.
  const started = performance.now();
  let sent = 0;
  setInterval(() => {
    const due = Math.floor(((performance.now() - started) / 1000) * framesPerSecond);
    for (; sent < due; sent++) for (const topic of topics) app.publish(topic, payload, true);
  }, 5);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  serve(positiveFlag(args, '--frames-per-second'), positiveFlag(args, '--frame-bytes'));
}
