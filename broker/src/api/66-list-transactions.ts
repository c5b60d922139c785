import { ErrorCode } from '../protocol/errors.js';
import { VersionedReader, VersionedWriter } from '../protocol/versioned.js';
import type { ApiHandler } from './api.js';

/*
 * ListTransactions (key 66), v0-1, flexible (kafka-transactions.sh, the Java admin client).
 *
 * Request:  StateFilters [str], ProducerIdFilters [i64], DurationFilter i64 (v1+)
 * Response: ThrottleTimeMs i32, ErrorCode i16, UnknownStateFilters [str],
 *           TransactionStates [TransactionalId str, ProducerId i64, TransactionState str]
 *
 * v2 (Apache Kafka 4.4 serves it) adds a transactional-id regular expression (KIP-1152), which
 * Apache Kafka runs with RE2J in linear time. JavaScript's backtracking RegExp on the broker's
 * only thread would let one request hang it, so v2 is not served: a client asking for a pattern
 * gets UNSUPPORTED_VERSION from its own version negotiation, at once.
 */
export const listTransactions: ApiHandler = {
  key: 66,
  name: 'ListTransactions',
  minVersion: 0,
  maxVersion: 1,
  flexibleFrom: 0,
  handle(request, response, { header, broker }) {
    const r = new VersionedReader(request, true);
    const states = r.array((a) => a.string());
    const producerIds = r.array((a) => a.int64());
    const minDurationMs = header.apiVersion >= 1 ? r.int64() : -1;
    r.endStruct();

    const listing = broker.transactions.list({ states, producerIds, minDurationMs });
    const w = new VersionedWriter(response, true);
    w.int32(0)
      .int16(ErrorCode.NONE)
      .array(listing.unknownStateFilters, (sw, state) => sw.string(state))
      .structArray(listing.transactions, (tw, found) => {
        tw.string(found.transactionalId).int64(found.producerId).string(found.state);
      })
      .endStruct();
  },
};
