import { parentPort } from 'node:worker_threads';
import { type CleanOutcome, type CleanTask, clean } from './compaction.js';

/** What the cleaner thread answers for each task. */
export type CleanReply = { ok: true; outcome: CleanOutcome } | { ok: false; error: string };

/*
 * The log cleaner's thread: it reads closed segment files and writes cleaned ones, so the
 * decoding, compression and disk work of compaction stay off the broker's event loop.
 * One task at a time; the event loop swaps the results in.
 */
const port = parentPort;
if (port === null) throw new Error('cleaner-worker.js runs as a worker thread of the broker');
port.on('message', (task: CleanTask) => {
  clean(task).then(
    (outcome) => port.postMessage({ ok: true, outcome } satisfies CleanReply),
    (error: Error) => port.postMessage({ ok: false, error: error.stack ?? String(error) } satisfies CleanReply),
  );
});
