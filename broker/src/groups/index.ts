export type { ConsumerGroupDescription, HeartbeatRequest, HeartbeatResponse } from './consumer-group-coordinator.js';
export { GroupCoordinator, type GroupState, type JoinResult, type Protocol } from './group-coordinator.js';
export { type CommittedOffset, MAX_OFFSET_METADATA_CHARS } from './offset-store.js';
