import { ErrorCode } from '../protocol/errors.js';
import { VersionedReader, VersionedWriter } from '../protocol/versioned.js';
import type { ApiHandler } from './api.js';

/*
 * SaslAuthenticate (key 36), v0-2, flexible from v2.
 *
 * Request:  AuthBytes bytes, tags
 * Response: ErrorCode i16, ErrorMessage nstr, AuthBytes bytes, SessionLifetimeMs i64 (v1+), tags
 *
 * The listener is plaintext, so there is nothing to authenticate: ILLEGAL_SASL_STATE with a
 * message saying so, as an Apache Kafka PLAINTEXT listener answers (its message is less clear).
 */
export const saslAuthenticate: ApiHandler = {
  key: 36,
  name: 'SaslAuthenticate',
  minVersion: 0,
  maxVersion: 2,
  flexibleFrom: 2,
  handle(request, response, { header }) {
    const version = header.apiVersion;
    const r = new VersionedReader(request, version >= 2);
    r.bytes();
    r.endStruct();
    const w = new VersionedWriter(response, version >= 2);
    w.int16(ErrorCode.ILLEGAL_SASL_STATE)
      .nullableString('SASL is not enabled: this broker listens in plaintext. Connect without SASL.')
      .bytes(Buffer.alloc(0));
    if (version >= 1) w.int64(0);
    w.endStruct();
  },
};
