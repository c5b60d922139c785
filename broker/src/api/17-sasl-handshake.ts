import { ErrorCode } from '../protocol/errors.js';
import type { ApiHandler } from './api.js';

/*
 * SaslHandshake (key 17), v0-1, none flexible.
 *
 * Request:  Mechanism str
 * Response: ErrorCode i16, Mechanisms [str]
 *
 * This broker's listener is plaintext: there is no SASL to start. It answers
 * ILLEGAL_SASL_STATE with no mechanisms, as an Apache Kafka PLAINTEXT listener does, so a
 * client configured for SASL fails at once with a named error (kafkajs: "Request is not valid
 * given the current SASL state") instead of retrying a connection that is closed on it.
 */
export const saslHandshake: ApiHandler = {
  key: 17,
  name: 'SaslHandshake',
  minVersion: 0,
  maxVersion: 1,
  flexibleFrom: null,
  handle(request, response, { broker, clientHost }) {
    const mechanism = request.string();
    broker.config.log(
      `SASL ${mechanism} handshake from ${clientHost} refused: this broker's listener is plaintext (no SASL, no TLS)`,
    );
    response.int16(ErrorCode.ILLEGAL_SASL_STATE).array([], () => {});
  },
};
