import type { Assignor } from './assignor.js';
import { rangeAssignor } from './range.js';
import { uniformAssignor } from './uniform.js';

export type { AssignmentSpec, Assignor, TopicPartitions } from './assignor.js';
export { addPartition, countPartitions } from './assignor.js';

/** The assignors served, by name; the first is the default (Apache Kafka's group.consumer.assignors). */
export const assignors: ReadonlyMap<string, Assignor> = new Map(
  [uniformAssignor, rangeAssignor].map((a) => [a.name, a]),
);
export const DEFAULT_ASSIGNOR = uniformAssignor.name;
