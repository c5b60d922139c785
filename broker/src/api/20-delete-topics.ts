import { ErrorCode } from '../protocol/errors.js';
import { VersionedReader, VersionedWriter } from '../protocol/versioned.js';
import type { ApiHandler } from './api.js';
import { NO_TOPIC_ID, topicIdBytes } from './topic-ids.js';

/*
 * DeleteTopics (key 20), v0-6 (Apache Kafka 4.4 serves v1-6), flexible from v4.
 *
 * Request v0-5: TopicNames [str], TimeoutMs i32
 * Request v6:   Topics [Name nstr, TopicId uuid], TimeoutMs i32 — by name, or by id when the name is null
 * Response:     ThrottleTimeMs i32 (v1+),
 *               Responses [Name nstr, TopicId uuid (v6+), ErrorCode i16, ErrorMessage nstr (v5+)]
 *
 * A topic is gone (its files removed) before the answer. Unknown: UNKNOWN_TOPIC_OR_PARTITION by
 * name, UNKNOWN_TOPIC_ID (100) by id.
 */

export const deleteTopics: ApiHandler = {
  key: 20,
  name: 'DeleteTopics',
  minVersion: 0,
  maxVersion: 6,
  flexibleFrom: 4,
  handle(request, response, { header, broker }) {
    const version = header.apiVersion;
    const flexible = version >= 4;
    const req = new VersionedReader(request, flexible);
    const res = new VersionedWriter(response, flexible);
    const topics =
      version >= 6
        ? req.structArray((r) => ({ name: r.nullableString(), id: r.uuid().toString('hex') }))
        : req.array((r) => ({ name: r.string() as string | null, id: NO_TOPIC_ID }));
    req.int32(); // timeout: deletion is immediate
    req.endStruct();

    if (version >= 1) res.int32(0);
    res.structArray(topics, (writer, topic) => {
      const name = topic.name ?? broker.log.topicNameById(topic.id) ?? null;
      const id = name === null ? topic.id : (broker.log.topicId(name) ?? NO_TOPIC_ID);
      let errorCode: number = ErrorCode.NONE;
      let message: string | null = null;
      if (name === null)
        [errorCode, message] = [ErrorCode.UNKNOWN_TOPIC_ID, 'This server does not host this topic ID.'];
      else if (!broker.log.deleteTopic(name)) {
        [errorCode, message] = [
          ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          'This server does not host this topic-partition.',
        ];
      }
      if (version >= 6) writer.nullableString(name);
      else writer.string(name ?? '');
      if (version >= 6) writer.uuid(topicIdBytes(id));
      writer.int16(errorCode);
      if (version >= 5) writer.nullableString(message);
    });
    res.endStruct();
  },
};
