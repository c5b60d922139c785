import { VersionedReader, VersionedWriter } from '../protocol/versioned.js';
import type { ApiHandler } from './api.js';
import { alterResource } from './config-resources.js';

/*
 * AlterConfigs (key 33), v0-2 (as Apache Kafka 4.4), flexible from v2. kafkajs' alterConfigs
 * sends it (IncrementalAlterConfigs is key 44).
 *
 * Request:  Resources [ResourceType i8, ResourceName str, Configs [Name str, Value nstr]], ValidateOnly bool
 * Response: ThrottleTimeMs i32, Responses [ErrorCode i16, ErrorMessage nstr, ResourceType i8, ResourceName str]
 *
 * Not incremental: a topic's set configs become exactly those given (a null value unsets one),
 * all checked before any is applied; INVALID_CONFIG names the first bad one. The broker's own
 * configs are read-only (INVALID_REQUEST).
 */
export const alterConfigs: ApiHandler = {
  key: 33,
  name: 'AlterConfigs',
  minVersion: 0,
  maxVersion: 2,
  flexibleFrom: 2,
  handle(request, response, { header, broker }) {
    const flexible = header.apiVersion >= 2;
    const req = new VersionedReader(request, flexible);
    const res = new VersionedWriter(response, flexible);
    const resources = req.structArray((r) => {
      const type = r.int8();
      const name = r.string();
      const configs = r.structArray((c) => ({ name: c.string(), value: c.nullableString() }));
      return { type, name, configs };
    });
    const validateOnly = req.bool();
    req.endStruct();

    res.int32(0);
    res.structArray(resources, (writer, resource) => {
      // Not incremental: the set configs become exactly those given with a value.
      const answer = alterResource(broker, resource, validateOnly, (configs) => {
        const next: Record<string, string> = {};
        for (const { name, value } of configs) if (value !== null) next[name] = value;
        return { configs: next };
      });
      writer.int16(answer.errorCode).nullableString(answer.message).int8(resource.type).string(resource.name);
    });
    res.endStruct();
  },
};
