import { ErrorCode } from '../protocol/errors.js';
import type { Writer } from '../protocol/writer.js';
import type { ApiHandler } from './api.js';
import { apiHandlers } from './index.js';

/*
 * ApiVersions (key 18), v0-3; v3 is flexible (librdkafka opens every connection with it).
 * Its response header is always v0, even at v3 (KIP-511): the server handles that.
 *
 * Request v0-2: (empty)
 * Request v3:   ClientSoftwareName cstr, ClientSoftwareVersion cstr, tags
 * Response:     ErrorCode i16, ApiKeys [ApiKey i16, MinVersion i16, MaxVersion i16 (+tags v3)],
 *               ThrottleTimeMs i32 (v1+), tags (v3)
 *
 * The advertised list is generated from the registry, so every API served is advertised and
 * nothing is advertised that is not served. Feature tags (v3 tags 0-3) are left out.
 */
export const apiVersions: ApiHandler = {
  key: 18,
  name: 'ApiVersions',
  minVersion: 0,
  maxVersion: 3,
  flexibleFrom: 3,
  handle(request, response, { header }) {
    const version = header.apiVersion;
    if (version >= 3) {
      request.compactString(); // client software name
      request.compactString(); // client software version
      request.taggedFields();
    }
    response.int16(ErrorCode.NONE);
    const handlers = [...apiHandlers].sort((a, b) => a.key - b.key);
    const writeRange = (writer: Writer, handler: ApiHandler): void => {
      writer.int16(handler.key).int16(handler.minVersion).int16(handler.maxVersion);
      if (version >= 3) writer.taggedFields();
    };
    if (version >= 3) response.compactArray(handlers, writeRange);
    else response.array(handlers, writeRange);
    if (version >= 1) response.int32(0);
    if (version >= 3) response.taggedFields();
  },
};
