import type { ApiHandler } from './api.js';
import { describeResource } from './config-resources.js';
import { flexibleCodec } from './flexible.js';

/*
 * DescribeConfigs (key 32), v1-4 (as Apache Kafka 4.4), flexible from v4.
 *
 * Request:  Resources [ResourceType i8, ResourceName str, ConfigurationKeys [str] (nullable: all)],
 *           IncludeSynonyms bool, IncludeDocumentation bool (v3+)
 * Response: ThrottleTimeMs i32,
 *           Results [ErrorCode i16, ErrorMessage nstr, ResourceType i8, ResourceName str,
 *                    Configs [Name str, Value nstr, ReadOnly bool, ConfigSource i8, IsSensitive bool,
 *                             Synonyms [Name str, Value nstr, Source i8],
 *                             ConfigType i8 (v3+), Documentation nstr (v3+)]]
 *
 * Topics (type 2) list Apache Kafka 4.4's 37 topic configs with their values and sources
 * (DYNAMIC_TOPIC_CONFIG for values set on the topic, STATIC_BROKER_CONFIG for those from the
 * broker's flags, DEFAULT_CONFIG otherwise); the broker (type 4, name "" or its node id) lists
 * its own settings, read-only. Other resource types: INVALID_REQUEST.
 */
export const describeConfigs: ApiHandler = {
  key: 32,
  name: 'DescribeConfigs',
  minVersion: 1,
  maxVersion: 4,
  flexibleFrom: 4,
  handle(request, response, { header, broker }) {
    const version = header.apiVersion;
    const wire = flexibleCodec(version >= 4);
    const resources = wire.readArray(request, (r) => {
      const resource = {
        type: r.int8(),
        name: wire.readString(r),
        keys: wire.readNullableArray(r, (k) => wire.readString(k)),
      };
      wire.skipTags(r);
      return resource;
    });
    const includeSynonyms = request.bool();
    const includeDocumentation = version >= 3 ? request.bool() : false;
    wire.skipTags(request);

    response.int32(0);
    wire.writeArray(response, resources, (writer, resource) => {
      const answer = describeResource(broker, resource.type, resource.name, resource.keys);
      writer.int16(answer.errorCode);
      wire.writeNullableString(writer, answer.message);
      writer.int8(resource.type);
      wire.writeString(writer, resource.name);
      wire.writeArray(writer, answer.configs, (w, config) => {
        wire.writeString(w, config.name);
        wire.writeNullableString(w, config.value);
        w.bool(config.readOnly ?? false)
          .int8(config.source)
          .bool(false);
        wire.writeArray(w, includeSynonyms ? config.synonyms : [], (s, synonym) => {
          wire.writeString(s, synonym.name);
          wire.writeNullableString(s, synonym.value);
          s.int8(synonym.source);
          wire.writeTags(s);
        });
        if (version >= 3) {
          w.int8(config.type);
          wire.writeNullableString(w, includeDocumentation ? config.doc : null);
        }
        wire.writeTags(w);
      });
      wire.writeTags(writer);
    });
    wire.writeTags(response);
  },
};
