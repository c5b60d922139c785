import { randomUUID } from 'node:crypto';
import { ErrorCode } from '../protocol/errors.js';
import { type AssignmentSpec, assignors, type TopicPartitions } from './assignors/index.js';
import { uniformAssignor } from './assignors/uniform.js';
import { ConsumerGroup, type ConsumerGroupMember } from './consumer-group.js';
import { isReconciledTo, type OwnedPartitions, reconcile } from './reconciliation.js';

/*
 * The KIP-848 consumer-group protocol (ConsumerGroupHeartbeat, key 68), after Apache Kafka's
 * GroupMetadataManager: the coordinator computes the assignment, each member heartbeats,
 * and every heartbeat answer carries the member's epoch and, when it changed, its partitions.
 * All state of these groups lives here; handlers decode, call, encode. Timers are unref'd
 * and cleared on close().
 *
 * Epochs: a member joins with epoch 0, leaves with -1, and a static member (group.instance.id)
 * leaves for a while with -2 and keeps its partitions until it comes back or its session ends.
 */

export const LEAVE_GROUP_MEMBER_EPOCH = -1;
export const LEAVE_GROUP_STATIC_MEMBER_EPOCH = -2;

/** What the coordinator needs to know about topics (LogManager provides it). */
export interface TopicCatalog {
  topicNames(): string[];
  topicId(topic: string): string | undefined;
  topicNameById(topicId: string): string | undefined;
  partitionCount(topic: string): number | undefined;
}

/** The classic groups of the same coordinator, to keep the two kinds apart (or convert an empty one). */
export interface ClassicGroupDirectory {
  /** The classic group with this id (its member count and protocol type), if there is one. */
  classicGroup(groupId: string): { members: number; protocolType: string } | undefined;
  /** Drops an empty classic group so that a consumer group can take its id (its offsets stay). */
  forgetClassicGroup(groupId: string): void;
  /** Whether offsets were ever committed for this group id (they outlive a restart; members do not). */
  hasCommittedOffsets(groupId: string): boolean;
}

export interface ConsumerGroupSettings {
  /** Apache Kafka's group.consumer.session.timeout.ms. */
  sessionTimeoutMs: number;
  /** Apache Kafka's group.consumer.heartbeat.interval.ms. */
  heartbeatIntervalMs: number;
  /** Apache Kafka's group.consumer.max.size. */
  maxSize: number;
  log: (line: string) => void;
}

export interface HeartbeatRequest {
  /** ConsumerGroupHeartbeat version: from v1 the client makes its member id (KIP-1082). */
  apiVersion: number;
  groupId: string;
  memberId: string;
  memberEpoch: number;
  instanceId: string | null;
  rackId: string | null;
  /** -1: unchanged since the last heartbeat. */
  rebalanceTimeoutMs: number;
  /** null: unchanged since the last heartbeat. */
  subscribedTopicNames: string[] | null;
  subscribedTopicRegex: string | null;
  serverAssignor: string | null;
  ownedPartitions: OwnedPartitions;
  clientId: string;
  clientHost: string;
}

export interface HeartbeatResponse {
  errorCode: ErrorCode;
  errorMessage: string | null;
  memberId: string | null;
  memberEpoch: number;
  heartbeatIntervalMs: number;
  /** null: unchanged (the member keeps what it has). */
  assignment: { topicId: string; partitions: number[] }[] | null;
}

export interface ConsumerGroupDescription {
  groupId: string;
  errorCode: ErrorCode;
  errorMessage: string | null;
  state: string;
  groupEpoch: number;
  assignmentEpoch: number;
  assignorName: string;
  members: {
    memberId: string;
    instanceId: string | null;
    rackId: string | null;
    memberEpoch: number;
    clientId: string;
    clientHost: string;
    subscribedTopicNames: readonly string[];
    subscribedTopicRegex: string | null;
    assignment: { topicId: string; topicName: string; partitions: number[] }[];
    targetAssignment: { topicId: string; topicName: string; partitions: number[] }[];
  }[];
}

/** A Kafka error with the message the response carries. */
export class GroupProtocolError extends Error {
  constructor(
    readonly errorCode: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export class ConsumerGroupCoordinator {
  private readonly groups = new Map<string, ConsumerGroup>();
  private readonly sessionTimers = new Map<string, NodeJS.Timeout>();
  private readonly rebalanceTimers = new Map<string, NodeJS.Timeout>();
  private readonly regexes = new Map<string, RegExp>();

  constructor(
    private readonly settings: ConsumerGroupSettings,
    private readonly topics: TopicCatalog,
    private readonly classic: ClassicGroupDirectory,
  ) {}

  /** The consumer group with this id, if there is one. */
  group(groupId: string): ConsumerGroup | undefined {
    return this.groups.get(groupId);
  }

  /** Drops an empty consumer group so that a classic group can take its id (its offsets stay). */
  forgetEmptyGroup(groupId: string): void {
    if (this.groups.get(groupId)?.members.size === 0) this.groups.delete(groupId);
  }

  groupIds(): string[] {
    return [...this.groups.keys()];
  }

  heartbeat(request: HeartbeatRequest): HeartbeatResponse {
    try {
      validateHeartbeat(request);
      if (request.subscribedTopicRegex !== null) this.regex(request.subscribedTopicRegex);
      if (request.memberEpoch === LEAVE_GROUP_MEMBER_EPOCH || request.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
        return this.leave(request);
      }
      return this.join(request);
    } catch (error) {
      if (!(error instanceof GroupProtocolError)) throw error;
      return {
        errorCode: error.errorCode,
        errorMessage: error.message,
        memberId: null,
        memberEpoch: 0,
        heartbeatIntervalMs: 0,
        assignment: null,
      };
    }
  }

  private join(request: HeartbeatRequest): HeartbeatResponse {
    const joining = request.memberEpoch === 0;
    const group = this.groupFor(request.groupId, joining, request);
    const memberId = request.memberId === '' ? randomUUID() : request.memberId;
    if (joining && !group.members.has(memberId) && group.members.size >= this.settings.maxSize) {
      throw new GroupProtocolError(
        ErrorCode.GROUP_MAX_SIZE_REACHED,
        `The consumer group has reached its maximum capacity of ${this.settings.maxSize} members.`,
      );
    }
    const existing =
      request.instanceId === null
        ? this.dynamicMember(group, memberId, request)
        : this.staticMember(group, memberId, request);

    const member: ConsumerGroupMember = {
      ...existing,
      instanceId: request.instanceId ?? existing.instanceId,
      rackId: request.rackId ?? existing.rackId,
      rebalanceTimeoutMs: request.rebalanceTimeoutMs === -1 ? existing.rebalanceTimeoutMs : request.rebalanceTimeoutMs,
      serverAssignor: request.serverAssignor ?? existing.serverAssignor,
      subscribedTopicNames: request.subscribedTopicNames ?? existing.subscribedTopicNames,
      subscribedTopicRegex: request.subscribedTopicRegex ?? existing.subscribedTopicRegex,
      clientId: request.clientId,
      clientHost: request.clientHost,
    };
    const isNew = !group.members.has(member.memberId);
    const subscriptionChanged =
      isNew ||
      !sameStrings(member.subscribedTopicNames, existing.subscribedTopicNames) ||
      member.subscribedTopicRegex !== existing.subscribedTopicRegex ||
      member.serverAssignor !== existing.serverAssignor;
    group.members.set(member.memberId, member);
    if (member.instanceId !== null) group.staticMembers.set(member.instanceId, member.memberId);

    // 1. The group epoch: up when a subscription changed or the subscribed topics did
    //    (a topic created, grown or deleted, or a new one matching a regex).
    const signature = this.subscribedTopicsSignature(group);
    if (subscriptionChanged || signature !== group.subscribedTopicsSignature) {
      group.subscribedTopicsSignature = signature;
      group.groupEpoch++;
      this.settings.log(`consumer group ${group.groupId}: epoch ${group.groupEpoch} (member ${member.memberId})`);
    }
    // 2. The target assignment, computed once per group epoch.
    if (group.groupEpoch > group.assignmentEpoch) this.computeTarget(group);
    // 3. This member's way towards its target.
    const reconciled = isReconciledTo(member, group.assignmentEpoch)
      ? member
      : {
          ...member,
          ...reconcile(
            member,
            group.assignmentEpoch,
            group.targetOf(member.memberId),
            (topicId, partition) => group.heldByAnotherMember(member.memberId, topicId, partition),
            request.ownedPartitions,
          ),
        };
    group.members.set(member.memberId, reconciled);
    this.scheduleRebalanceTimeout(group, reconciled);
    this.scheduleSessionTimeout(group, reconciled.memberId);

    // The assignment goes out on a full request (joining, or after an error the client sends
    // everything) and whenever it changed; otherwise the member keeps what it has.
    const fullRequest =
      joining ||
      (request.rebalanceTimeoutMs !== -1 && request.subscribedTopicNames !== null && request.ownedPartitions !== null);
    const changed = !sameAssignment(existing.assigned, reconciled.assigned) || isNew;
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      memberId: reconciled.memberId,
      memberEpoch: reconciled.memberEpoch,
      heartbeatIntervalMs: this.settings.heartbeatIntervalMs,
      assignment: fullRequest || changed ? toList(reconciled.assigned) : null,
    };
  }

  private leave(request: HeartbeatRequest): HeartbeatResponse {
    const group = this.groupFor(request.groupId, false, request);
    const answer = (memberId: string, memberEpoch: number): HeartbeatResponse => ({
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      memberId,
      memberEpoch,
      heartbeatIntervalMs: 0,
      assignment: null,
    });
    if (request.instanceId === null) {
      const member = this.knownMember(group, request.memberId);
      this.settings.log(`consumer group ${group.groupId}: member ${member.memberId} left`);
      this.removeMember(group, member);
      return answer(request.memberId, request.memberEpoch);
    }
    const member = group.members.get(group.staticMembers.get(request.instanceId) ?? '');
    if (member === undefined) {
      throw new GroupProtocolError(ErrorCode.UNKNOWN_MEMBER_ID, `Instance id ${request.instanceId} is unknown.`);
    }
    throwIfFencedInstance(member, request);
    if (request.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
      // Gone for a while (a restart): it keeps its partitions and its place until its session ends.
      group.members.set(member.memberId, {
        ...member,
        memberEpoch: LEAVE_GROUP_STATIC_MEMBER_EPOCH,
        previousMemberEpoch: member.memberEpoch,
        pendingRevocation: new Map(),
      });
      this.settings.log(`consumer group ${group.groupId}: static member ${request.instanceId} left for now`);
      return answer(member.memberId, LEAVE_GROUP_STATIC_MEMBER_EPOCH);
    }
    this.removeMember(group, member);
    return answer(request.memberId, request.memberEpoch);
  }

  /** The group a heartbeat is for; a joining member may create it, or take over an empty classic group. */
  private groupFor(groupId: string, createIfMissing: boolean, request: HeartbeatRequest): ConsumerGroup {
    const existing = this.groups.get(groupId);
    if (existing !== undefined) return existing;
    const classic = this.classic.classicGroup(groupId);
    if (classic !== undefined && classic.members > 0) {
      // Apache Kafka upgrades a classic group whose members use the consumer embedded protocol
      // (a mixed group); this broker keeps the two kinds apart and answers as Apache does when
      // it cannot upgrade.
      const why =
        classic.protocolType === 'consumer'
          ? `this broker does not convert a classic group with members (${classic.members}): stop them, or use group.protocol=classic.`
          : 'the group does not use the consumer embedded protocol.';
      throw new GroupProtocolError(
        ErrorCode.GROUP_ID_NOT_FOUND,
        `Cannot upgrade classic group ${groupId} to consumer group because ${why}`,
      );
    }
    if (!createIfMissing) {
      if (this.classic.hasCommittedOffsets(groupId)) {
        // Members live in memory here, unlike Apache Kafka's (kept in __consumer_offsets): after a
        // restart a member of a group we knew is told to rejoin, not that the group is gone,
        // which the Java client would treat as fatal.
        throw new GroupProtocolError(
          ErrorCode.UNKNOWN_MEMBER_ID,
          `Member ${request.memberId} is not a member of group ${groupId}: the broker restarted since it joined. Rejoin with epoch 0.`,
        );
      }
      throw new GroupProtocolError(ErrorCode.GROUP_ID_NOT_FOUND, `Consumer group ${groupId} not found.`);
    }
    if (classic !== undefined) this.classic.forgetClassicGroup(groupId);
    const group = new ConsumerGroup(groupId);
    this.groups.set(groupId, group);
    return group;
  }

  private dynamicMember(group: ConsumerGroup, memberId: string, request: HeartbeatRequest): ConsumerGroupMember {
    const member = group.members.get(memberId);
    if (member === undefined) {
      if (request.memberEpoch !== 0) throw unknownMember(group, memberId);
      return newMember(memberId, request);
    }
    throwIfEpochIsInvalid(member, request);
    return member;
  }

  private staticMember(group: ConsumerGroup, memberId: string, request: HeartbeatRequest): ConsumerGroupMember {
    const instanceId = request.instanceId as string;
    const current = group.members.get(group.staticMembers.get(instanceId) ?? '');
    if (request.memberEpoch === 0) {
      if (current === undefined) {
        const member = group.members.get(memberId);
        if (member !== undefined) throwIfEpochIsInvalid(member, request);
        return member ?? newMember(memberId, request);
      }
      if (current.memberId === memberId) {
        throwIfEpochIsInvalid(current, request);
        return current;
      }
      if (current.memberEpoch !== LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
        throw new GroupProtocolError(
          ErrorCode.UNRELEASED_INSTANCE_ID,
          `Static member ${memberId} with instance id ${instanceId} cannot join the group because the instance id is owned by ${current.memberId} member.`,
        );
      }
      // The same instance is back under a new member id: it takes over the old member's place
      // and partitions, so the group does not rebalance.
      return this.replaceMember(group, current, memberId);
    }
    if (current === undefined) {
      throw new GroupProtocolError(ErrorCode.UNKNOWN_MEMBER_ID, `Instance id ${instanceId} is unknown.`);
    }
    throwIfFencedInstance(current, request);
    throwIfEpochIsInvalid(current, request);
    return current;
  }

  private knownMember(group: ConsumerGroup, memberId: string): ConsumerGroupMember {
    const member = group.members.get(memberId);
    if (member === undefined) throw unknownMember(group, memberId);
    return member;
  }

  private replaceMember(group: ConsumerGroup, old: ConsumerGroupMember, newMemberId: string): ConsumerGroupMember {
    this.clearTimers(group.groupId, old.memberId);
    group.members.delete(old.memberId);
    const target = group.target.get(old.memberId);
    group.target.delete(old.memberId);
    if (target !== undefined) group.target.set(newMemberId, target);
    const member: ConsumerGroupMember = { ...old, memberId: newMemberId, memberEpoch: 0, previousMemberEpoch: 0 };
    group.members.set(newMemberId, member);
    this.settings.log(`consumer group ${group.groupId}: static member ${old.instanceId} is back as ${newMemberId}`);
    return member;
  }

  /** Fences a member: it is gone, its partitions are free, and the group moves to a new epoch. */
  private removeMember(group: ConsumerGroup, member: ConsumerGroupMember): void {
    this.clearTimers(group.groupId, member.memberId);
    group.members.delete(member.memberId);
    group.target.delete(member.memberId);
    if (member.instanceId !== null && group.staticMembers.get(member.instanceId) === member.memberId) {
      group.staticMembers.delete(member.instanceId);
    }
    group.subscribedTopicsSignature = this.subscribedTopicsSignature(group);
    group.groupEpoch++;
  }

  private computeTarget(group: ConsumerGroup): void {
    const partitionCounts = new Map<string, number>();
    const spec: AssignmentSpec = {
      partitionCounts,
      members: [...group.members.values()].map((member) => {
        const subscribedTopicIds: string[] = [];
        for (const name of this.subscribedTopics(member)) {
          const topicId = this.topics.topicId(name);
          const count = this.topics.partitionCount(name);
          if (topicId === undefined || count === undefined) continue;
          partitionCounts.set(topicId, count);
          subscribedTopicIds.push(topicId);
        }
        return { memberId: member.memberId, subscribedTopicIds, current: group.targetOf(member.memberId) };
      }),
    };
    // Every name members ask for was checked against `assignors` when they asked.
    const assignor = assignors.get(group.assignorName) ?? uniformAssignor;
    group.target = assignor.assign(spec);
    group.assignmentEpoch = group.groupEpoch;
  }

  /** The existing topics a member subscribes to, by name or by regex. */
  private subscribedTopics(member: ConsumerGroupMember): string[] {
    const names = new Set(member.subscribedTopicNames.filter((name) => this.topics.partitionCount(name) !== undefined));
    if (member.subscribedTopicRegex !== null) {
      const regex = this.regex(member.subscribedTopicRegex);
      for (const name of this.topics.topicNames()) if (regex.test(name)) names.add(name);
    }
    return [...names].sort();
  }

  private subscribedTopicsSignature(group: ConsumerGroup): string {
    const names = new Set<string>();
    for (const member of group.members.values()) for (const name of this.subscribedTopics(member)) names.add(name);
    return [...names]
      .sort()
      .map((name) => `${name}/${this.topics.topicId(name)}/${this.topics.partitionCount(name)}`)
      .join(',');
  }

  /** Regexes match whole topic names, as Apache Kafka's (RE2/J `matches`). */
  private regex(source: string): RegExp {
    let regex = this.regexes.get(source);
    if (regex === undefined) {
      try {
        regex = new RegExp(`^(?:${source})$`, 'u');
      } catch (error) {
        throw new GroupProtocolError(
          ErrorCode.INVALID_REGULAR_EXPRESSION,
          `SubscribedTopicRegex \`${source}\` is not a valid regular expression: ${(error as Error).message}.`,
        );
      }
      if (this.regexes.size >= 1000) this.regexes.clear(); // bounded: a client may send any number
      this.regexes.set(source, regex);
    }
    return regex;
  }

  private scheduleSessionTimeout(group: ConsumerGroup, memberId: string): void {
    const key = timerKey(group.groupId, memberId);
    clearTimeout(this.sessionTimers.get(key));
    const timer = setTimeout(() => {
      this.sessionTimers.delete(key);
      const member = group.members.get(memberId);
      if (member === undefined || this.groups.get(group.groupId) !== group) return;
      this.settings.log(
        `consumer group ${group.groupId}: member ${memberId} fenced: no heartbeat for ${this.settings.sessionTimeoutMs} ms`,
      );
      this.removeMember(group, member);
    }, this.settings.sessionTimeoutMs);
    timer.unref();
    this.sessionTimers.set(key, timer);
  }

  /** A member asked to revoke partitions has its rebalance timeout to do so, or it is fenced. */
  private scheduleRebalanceTimeout(group: ConsumerGroup, member: ConsumerGroupMember): void {
    const key = timerKey(group.groupId, member.memberId);
    if (member.state !== 'UNREVOKED_PARTITIONS') {
      clearTimeout(this.rebalanceTimers.get(key));
      this.rebalanceTimers.delete(key);
      return;
    }
    if (this.rebalanceTimers.has(key)) return;
    const epoch = member.memberEpoch;
    const timer = setTimeout(() => {
      this.rebalanceTimers.delete(key);
      const current = group.members.get(member.memberId);
      if (current === undefined || current.memberEpoch !== epoch || current.state !== 'UNREVOKED_PARTITIONS') return;
      this.settings.log(
        `consumer group ${group.groupId}: member ${member.memberId} fenced: did not revoke its partitions within ${member.rebalanceTimeoutMs} ms`,
      );
      this.removeMember(group, current);
    }, member.rebalanceTimeoutMs);
    timer.unref();
    this.rebalanceTimers.set(key, timer);
  }

  private clearTimers(groupId: string, memberId: string): void {
    const key = timerKey(groupId, memberId);
    clearTimeout(this.sessionTimers.get(key));
    clearTimeout(this.rebalanceTimers.get(key));
    this.sessionTimers.delete(key);
    this.rebalanceTimers.delete(key);
  }

  /**
   * Whether an OffsetCommit from this member may be stored (Apache Kafka's
   * ConsumerGroup.validateOffsetCommit): throws the error to answer otherwise.
   */
  validateOffsetCommit(group: ConsumerGroup, memberId: string, memberEpoch: number, apiVersion: number): void {
    // Epoch -1: an admin client or a consumer without group management; only into an empty group.
    if (memberEpoch < 0 && group.members.size === 0) return;
    const member = this.knownMember(group, memberId);
    if (apiVersion < 9) {
      throw new GroupProtocolError(
        ErrorCode.UNSUPPORTED_VERSION,
        'OffsetCommit version 9 or above must be used by members using the modern group protocol',
      );
    }
    throwIfStaleEpoch(member, memberEpoch);
  }

  /**
   * TxnOffsetCommit into a consumer-protocol group: as validateOffsetCommit, without its version
   * rule (Apache Kafka skips it for transactional commits, whose versions predate KIP-848).
   * A producer outside the group (no member id, epoch -1) may always stage offsets: they land
   * only when its transaction commits.
   */
  validateTransactionalOffsetCommit(group: ConsumerGroup, memberId: string, memberEpoch: number): void {
    if (memberEpoch < 0 && memberId === '') return;
    throwIfStaleEpoch(this.knownMember(group, memberId), memberEpoch);
  }

  /** Whether an OffsetFetch from this member is answered (Apache Kafka's validateOffsetFetch). */
  validateOffsetFetch(group: ConsumerGroup, memberId: string | null, memberEpoch: number): void {
    if (memberId === null && memberEpoch < 0) return;
    throwIfStaleEpoch(this.knownMember(group, memberId ?? ''), memberEpoch);
  }

  describe(groupId: string): ConsumerGroupDescription {
    const group = this.groups.get(groupId);
    if (group === undefined) {
      return {
        groupId,
        errorCode: ErrorCode.GROUP_ID_NOT_FOUND,
        errorMessage:
          this.classic.classicGroup(groupId) !== undefined
            ? `Group ${groupId} is not a consumer group.`
            : `Group ${groupId} not found.`,
        state: '',
        groupEpoch: 0,
        assignmentEpoch: 0,
        assignorName: '',
        members: [],
      };
    }
    const named = (assignment: TopicPartitions) =>
      toList(assignment).map(({ topicId, partitions }) => ({
        topicId,
        topicName: this.topics.topicNameById(topicId) ?? '',
        partitions,
      }));
    return {
      groupId,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      state: group.state,
      groupEpoch: group.groupEpoch,
      assignmentEpoch: group.assignmentEpoch,
      assignorName: group.assignorName,
      members: [...group.members.values()].map((member) => ({
        memberId: member.memberId,
        instanceId: member.instanceId,
        rackId: member.rackId,
        memberEpoch: member.memberEpoch,
        clientId: member.clientId,
        clientHost: member.clientHost,
        subscribedTopicNames: member.subscribedTopicNames,
        subscribedTopicRegex: member.subscribedTopicRegex,
        assignment: named(member.assigned),
        targetAssignment: named(group.targetOf(member.memberId)),
      })),
    };
  }

  close(): void {
    for (const timer of this.sessionTimers.values()) clearTimeout(timer);
    for (const timer of this.rebalanceTimers.values()) clearTimeout(timer);
    this.sessionTimers.clear();
    this.rebalanceTimers.clear();
    this.groups.clear();
  }
}

/** Apache Kafka's checks of a heartbeat before it touches any group. */
function validateHeartbeat(request: HeartbeatRequest): void {
  const invalid = (message: string): GroupProtocolError => new GroupProtocolError(ErrorCode.INVALID_REQUEST, message);
  if (request.groupId === '') throw invalid("GroupId can't be empty.");
  if (request.instanceId === '') throw invalid("InstanceId can't be empty.");
  if (request.rackId === '') throw invalid("RackId can't be empty.");
  const epoch = request.memberEpoch;
  if (epoch > 0 || epoch === LEAVE_GROUP_MEMBER_EPOCH) {
    if (request.memberId === '') throw invalid("MemberId can't be empty.");
  } else if (epoch === 0) {
    if (request.apiVersion >= 1 && request.memberId === '') throw invalid("MemberId can't be empty.");
    if (request.rebalanceTimeoutMs === -1) throw invalid('RebalanceTimeoutMs must be provided in first request.');
    if (request.ownedPartitions === null || request.ownedPartitions.length > 0) {
      throw invalid('TopicPartitions must be empty when (re-)joining.');
    }
    const hasNames = request.subscribedTopicNames !== null && request.subscribedTopicNames.length > 0;
    const hasRegex = request.subscribedTopicRegex !== null && request.subscribedTopicRegex !== '';
    if (!hasNames && !hasRegex)
      throw invalid('Either SubscribedTopicNames or SubscribedTopicRegex must be non-null when (re-)joining.');
  } else if (epoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
    if (request.memberId === '') throw invalid("MemberId can't be empty.");
    if (request.instanceId === null) throw invalid("InstanceId can't be null.");
  } else {
    throw invalid('MemberEpoch is invalid.');
  }
  if (request.serverAssignor !== null && !assignors.has(request.serverAssignor)) {
    throw new GroupProtocolError(
      ErrorCode.UNSUPPORTED_ASSIGNOR,
      `ServerAssignor ${request.serverAssignor} is not supported. Supported assignors: ${[...assignors.keys()].join(', ')}.`,
    );
  }
}

/**
 * A heartbeat's epoch must be the member's, or its previous one with nothing beyond its
 * current partitions (the answer that bumped it may have been lost).
 */
function throwIfEpochIsInvalid(member: ConsumerGroupMember, request: HeartbeatRequest): void {
  const received = request.memberEpoch;
  if (received > member.memberEpoch) {
    throw new GroupProtocolError(
      ErrorCode.FENCED_MEMBER_EPOCH,
      `The consumer group member has a greater member epoch (${received}) than the one known by the group coordinator (${member.memberEpoch}). The member must abandon all its partitions and rejoin.`,
    );
  }
  if (received < member.memberEpoch) {
    if (received !== member.previousMemberEpoch || !ownsOnly(request.ownedPartitions, member.assigned)) {
      throw new GroupProtocolError(
        ErrorCode.FENCED_MEMBER_EPOCH,
        `The consumer group member has a smaller member epoch (${received}) than the one known by the group coordinator (${member.memberEpoch}). The member must abandon all its partitions and rejoin.`,
      );
    }
  }
}

function throwIfFencedInstance(member: ConsumerGroupMember, request: HeartbeatRequest): void {
  if (member.memberId !== request.memberId) {
    throw new GroupProtocolError(
      ErrorCode.FENCED_INSTANCE_ID,
      `Static member ${request.memberId} with instance id ${request.instanceId} was fenced by member ${member.memberId}.`,
    );
  }
}

function throwIfStaleEpoch(member: ConsumerGroupMember, memberEpoch: number): void {
  if (memberEpoch !== member.memberEpoch) {
    throw new GroupProtocolError(
      ErrorCode.STALE_MEMBER_EPOCH,
      `The received member epoch ${memberEpoch} does not match the expected member epoch ${member.memberEpoch}.`,
    );
  }
}

function unknownMember(group: ConsumerGroup, memberId: string): GroupProtocolError {
  return new GroupProtocolError(
    ErrorCode.UNKNOWN_MEMBER_ID,
    `Member ${memberId} is not a member of group ${group.groupId}.`,
  );
}

function newMember(memberId: string, request: HeartbeatRequest): ConsumerGroupMember {
  return {
    memberId,
    instanceId: request.instanceId,
    rackId: null,
    clientId: request.clientId,
    clientHost: request.clientHost,
    rebalanceTimeoutMs: request.rebalanceTimeoutMs,
    subscribedTopicNames: [],
    subscribedTopicRegex: null,
    serverAssignor: null,
    state: 'STABLE',
    memberEpoch: 0,
    previousMemberEpoch: 0,
    assigned: new Map(),
    pendingRevocation: new Map(),
  };
}

function ownsOnly(owned: OwnedPartitions, assigned: TopicPartitions): boolean {
  if (owned === null) return false;
  return owned.every(({ topicId, partitions }) => partitions.every((p) => assigned.get(topicId)?.has(p) === true));
}

function toList(assignment: TopicPartitions): { topicId: string; partitions: number[] }[] {
  return [...assignment]
    .filter(([, partitions]) => partitions.size > 0)
    .map(([topicId, partitions]) => ({ topicId, partitions: [...partitions].sort((a, b) => a - b) }));
}

function sameAssignment(a: TopicPartitions, b: TopicPartitions): boolean {
  const listA = JSON.stringify(toList(a).sort((x, y) => (x.topicId < y.topicId ? -1 : 1)));
  const listB = JSON.stringify(toList(b).sort((x, y) => (x.topicId < y.topicId ? -1 : 1)));
  return listA === listB;
}

function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

function timerKey(groupId: string, memberId: string): string {
  return `${groupId}\u0000${memberId}`;
}
