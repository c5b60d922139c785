import { ErrorCode } from '../protocol/errors.js';
import type { ApiHandler } from './api.js';

/*
 * DeleteTopics (key 20), v0-1 (v0-3 share one layout), none flexible (v4+ would be).
 *
 * Request:  TopicNames [str], TimeoutMs i32
 * Response: ThrottleTimeMs i32 (v1+), Responses [Name str, ErrorCode i16]
 */
export const deleteTopics: ApiHandler = {
  key: 20,
  name: 'DeleteTopics',
  minVersion: 0,
  maxVersion: 1,
  flexibleFrom: null,
  handle(request, response, { header, broker }) {
    const names = request.array((r) => r.string());
    request.int32();
    if (header.apiVersion >= 1) response.int32(0);
    response.array(names, (writer, name) => {
      writer.string(name).int16(broker.log.deleteTopic(name) ? ErrorCode.NONE : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    });
  },
};
