export { GroupCoordinator, type GroupState, type JoinResult, type Protocol } from './group-coordinator.js';
export type { CommittedOffset } from './offset-store.js';
