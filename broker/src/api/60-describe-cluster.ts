import { ErrorCode } from '../protocol/errors.js';
import { type ApiHandler, AUTHORIZED_OPERATIONS_OMITTED } from './api.js';

/*
 * DescribeCluster (key 60), v0-2 (as Apache Kafka 4.4), all flexible.
 *
 * Request:  IncludeClusterAuthorizedOperations bool, EndpointType i8 (v1+), IncludeFencedBrokers bool (v2+)
 * Response: ThrottleTimeMs i32, ErrorCode i16, ErrorMessage cnstr, EndpointType i8 (v1+),
 *           ClusterId cstr, ControllerId i32,
 *           Brokers [BrokerId i32, Host cstr, Port i32, Rack cnstr, IsFenced bool (v2+)],
 *           ClusterAuthorizedOperations i32
 *
 * One node, which is also the controller. Without an authorizer every cluster operation is
 * allowed, so the operations asked for are all of them, as Apache Kafka reports with no ACLs.
 */
const BROKER_ENDPOINTS = 1;
/** ALTER, CLUSTER_ACTION, CREATE, DESCRIBE, ALTER_CONFIGS, IDEMPOTENT_WRITE, DESCRIBE_CONFIGS (AclOperation codes). */
const CLUSTER_OPERATIONS = [7, 9, 5, 8, 11, 12, 10].reduce((bits, operation) => bits | (1 << operation), 0);

export const describeCluster: ApiHandler = {
  key: 60,
  name: 'DescribeCluster',
  minVersion: 0,
  maxVersion: 2,
  flexibleFrom: 0,
  handle(request, response, { header, broker }) {
    const version = header.apiVersion;
    const includeOperations = request.bool();
    const endpointType = version >= 1 ? request.int8() : BROKER_ENDPOINTS;
    if (version >= 2) request.bool(); // include fenced brokers: none is ever fenced
    request.taggedFields();

    response.int32(0).int16(ErrorCode.NONE).compactNullableString(null);
    if (version >= 1) response.int8(endpointType);
    response.compactString(broker.clusterId).int32(broker.node.id);
    response.compactArray([broker.node], (writer, node) => {
      writer.int32(node.id).compactString(node.host).int32(node.port).compactNullableString(null);
      if (version >= 2) writer.bool(false);
      writer.taggedFields();
    });
    response.int32(includeOperations ? CLUSTER_OPERATIONS : AUTHORIZED_OPERATIONS_OMITTED);
    response.taggedFields();
  },
};
