import { ErrorCode } from '../protocol/errors.js';
import { Writer } from '../protocol/writer.js';
import { produce } from './00-produce.js';
import { fetch } from './01-fetch.js';
import { listOffsets } from './02-list-offsets.js';
import { metadata } from './03-metadata.js';
import { offsetCommit } from './08-offset-commit.js';
import { offsetFetch } from './09-offset-fetch.js';
import { findCoordinator } from './10-find-coordinator.js';
import { joinGroup } from './11-join-group.js';
import { heartbeat } from './12-heartbeat.js';
import { leaveGroup } from './13-leave-group.js';
import { syncGroup } from './14-sync-group.js';
import { describeGroups } from './15-describe-groups.js';
import { listGroups } from './16-list-groups.js';
import { apiVersions } from './18-api-versions.js';
import { createTopics } from './19-create-topics.js';
import { deleteTopics } from './20-delete-topics.js';
import { deleteRecords } from './21-delete-records.js';
import { initProducerId } from './22-init-producer-id.js';
import { describeConfigs } from './32-describe-configs.js';
import { alterConfigs } from './33-alter-configs.js';
import { createPartitions } from './37-create-partitions.js';
import { incrementalAlterConfigs } from './44-incremental-alter-configs.js';
import { describeCluster } from './60-describe-cluster.js';
import { describeTopicPartitions } from './75-describe-topic-partitions.js';
import type { ApiHandler } from './api.js';

/** Every API this broker serves. ApiVersions advertises exactly this list. */
export const apiHandlers: readonly ApiHandler[] = [
  produce,
  fetch,
  listOffsets,
  metadata,
  offsetCommit,
  offsetFetch,
  findCoordinator,
  joinGroup,
  heartbeat,
  leaveGroup,
  syncGroup,
  describeGroups,
  listGroups,
  apiVersions,
  createTopics,
  deleteTopics,
  deleteRecords,
  initProducerId,
  describeConfigs,
  alterConfigs,
  createPartitions,
  incrementalAlterConfigs,
  describeCluster,
  describeTopicPartitions,
];

/** Kafka's answer to an ApiVersions version it does not know: a v0 body, error 35, its own range. */
export function apiVersionsUnsupportedBody(): Buffer[] {
  return new Writer()
    .int16(ErrorCode.UNSUPPORTED_VERSION)
    .array([apiVersions], (writer, handler) =>
      writer.int16(handler.key).int16(handler.minVersion).int16(handler.maxVersion),
    )
    .finish();
}
