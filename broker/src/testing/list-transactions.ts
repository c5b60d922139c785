import { Writer } from '../protocol/writer.js';
import { RawKafkaClient } from './raw-client.js';

export interface ListedTransaction {
  transactionalId: string;
  producerId: number;
  state: string;
}

/**
 * ListTransactions v0 (flexible, KIP-664) without filters, sent to one broker: every transactional
 * id whose coordinator it is, in any state, until the id expires (transactional.id.expiration.ms).
 * What `kafka-transactions.sh list` shows, for tests that count the ids a client has used.
 */
export async function listTransactions(broker: string): Promise<ListedTransaction[]> {
  const client = await RawKafkaClient.connect(broker);
  try {
    const body = Buffer.concat(
      new Writer()
        .compactArray([], (w, state: string) => w.compactString(state)) // state filters: none
        .compactArray([], (w, producerId: number) => w.int64(producerId)) // producer id filters: none
        .taggedFields()
        .finish(),
    );
    const reader = await client.request(66, 0, body, true);
    reader.taggedFields(); // response header v1
    reader.int32(); // throttle
    const errorCode = reader.int16();
    if (errorCode !== 0) throw new Error(`ListTransactions answered error ${errorCode}`);
    reader.compactArray((r) => r.compactString()); // unknown state filters
    return reader.compactArray((r) => {
      const transactionalId = r.compactString();
      const producerId = r.int64();
      const state = r.compactString();
      r.taggedFields();
      return { transactionalId, producerId, state };
    });
  } finally {
    client.close();
  }
}
