import { ErrorCode } from '../protocol/errors.js';
import type { ApiHandler } from './api.js';
import { alterTopic, brokerReadOnly, ResourceType } from './config-resources.js';
import { flexibleCodec } from './flexible.js';

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
    const wire = flexibleCodec(header.apiVersion >= 2);
    const resources = wire.readArray(request, (r) => {
      const type = r.int8();
      const name = wire.readString(r);
      const configs = wire.readArray(r, (c) => {
        const config = { name: wire.readString(c), value: wire.readNullableString(c) };
        wire.skipTags(c);
        return config;
      });
      wire.skipTags(r);
      return { type, name, configs };
    });
    const validateOnly = request.bool();
    wire.skipTags(request);

    response.int32(0);
    wire.writeArray(response, resources, (writer, resource) => {
      let answer: { errorCode: ErrorCode; message: string | null };
      if (resource.type === ResourceType.topic) {
        const next: Record<string, string> = {};
        for (const { name, value } of resource.configs) if (value !== null) next[name] = value;
        answer = alterTopic(broker, resource.name, next, validateOnly);
      } else if (resource.type === ResourceType.broker) {
        const names = resource.configs.map((config) => config.name);
        answer = { errorCode: ErrorCode.INVALID_REQUEST, message: brokerReadOnly(broker, resource.name, names) };
      } else {
        answer = {
          errorCode: ErrorCode.INVALID_REQUEST,
          message: `Config resource type ${resource.type} is not supported.`,
        };
      }
      writer.int16(answer.errorCode);
      wire.writeNullableString(writer, answer.message);
      writer.int8(resource.type);
      wire.writeString(writer, resource.name);
      wire.writeTags(writer);
    });
    wire.writeTags(response);
  },
};
