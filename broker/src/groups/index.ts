export type { ConsumerGroupDescription, HeartbeatRequest, HeartbeatResponse } from './consumer-group-coordinator.js';
export { GroupCoordinator, type GroupState, type JoinResult, type Protocol } from './group-coordinator.js';
export type { CommittedOffset } from './offset-store.js';
