import { VersionedReader, VersionedWriter } from '../protocol/versioned.js';
import type { ApiHandler } from './api.js';
import { describeResource } from './config-resources.js';

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
    const flexible = version >= 4;
    const req = new VersionedReader(request, flexible);
    const res = new VersionedWriter(response, flexible);
    const resources = req.structArray((r) => ({
      type: r.int8(),
      name: r.string(),
      keys: r.nullableArray((k) => k.string()),
    }));
    const includeSynonyms = req.bool();
    const includeDocumentation = version >= 3 ? req.bool() : false;
    req.endStruct();

    res.int32(0);
    res.structArray(resources, (writer, resource) => {
      const answer = describeResource(broker, resource.type, resource.name, resource.keys);
      writer.int16(answer.errorCode);
      writer.nullableString(answer.message);
      writer.int8(resource.type);
      writer.string(resource.name);
      writer.structArray(answer.configs, (w, config) => {
        w.string(config.name);
        w.nullableString(config.value);
        w.bool(config.readOnly ?? false)
          .int8(config.source)
          .bool(false);
        w.structArray(includeSynonyms ? config.synonyms : [], (s, synonym) => {
          s.string(synonym.name);
          s.nullableString(synonym.value);
          s.int8(synonym.source);
        });
        if (version >= 3) {
          w.int8(config.type);
          w.nullableString(includeDocumentation ? config.doc : null);
        }
      });
    });
    res.endStruct();
  },
};
