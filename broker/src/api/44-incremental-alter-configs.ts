import { VersionedReader, VersionedWriter } from '../protocol/versioned.js';
import type { ApiHandler } from './api.js';
import { alterResource, incrementalTopicConfigs } from './config-resources.js';

/*
 * IncrementalAlterConfigs (key 44), v0-1 (as Apache Kafka 4.4), flexible from v1.
 *
 * Request:  Resources [ResourceType i8, ResourceName str,
 *                      Configs [Name str, ConfigOperation i8, Value nstr]], ValidateOnly bool
 * Response: ThrottleTimeMs i32, Responses [ErrorCode i16, ErrorMessage nstr, ResourceType i8, ResourceName str]
 *
 * Operations: 0 SET, 1 DELETE (back to the inherited value), 2 APPEND and 3 SUBTRACT (list
 * configs such as cleanup.policy only). The result is checked as a whole before it is applied
 * and persisted with the topic; a config named twice is INVALID_REQUEST. The broker's own
 * configs are read-only (INVALID_REQUEST).
 */
export const incrementalAlterConfigs: ApiHandler = {
  key: 44,
  name: 'IncrementalAlterConfigs',
  minVersion: 0,
  maxVersion: 1,
  flexibleFrom: 1,
  handle(request, response, { header, broker }) {
    const flexible = header.apiVersion >= 1;
    const req = new VersionedReader(request, flexible);
    const res = new VersionedWriter(response, flexible);
    const resources = req.structArray((r) => {
      const type = r.int8();
      const name = r.string();
      const configs = r.structArray((c) => ({ name: c.string(), operation: c.int8(), value: c.nullableString() }));
      return { type, name, configs };
    });
    const validateOnly = req.bool();
    req.endStruct();

    res.int32(0);
    res.structArray(resources, (writer, resource) => {
      const answer = alterResource(broker, resource, validateOnly, (operations) =>
        incrementalTopicConfigs(broker, resource.name, operations),
      );
      writer.int16(answer.errorCode).nullableString(answer.message).int8(resource.type).string(resource.name);
    });
    res.endStruct();
  },
};
