import { randomUUID } from 'node:crypto';
import type { BrokerConfig } from '../config.js';
import { ErrorCode } from '../protocol/errors.js';
import { type CommittedOffset, OffsetStore } from './offset-store.js';

/*
 * The classic consumer-group protocol (kafka-protocol.md §5, after Apache Kafka's
 * GroupCoordinator.scala). All group state lives here and changes only through these methods;
 * the API handlers decode, call, encode. Timers are unref'd and cleared on close().
 */

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

export interface Protocol {
  name: string;
  metadata: Buffer;
}

export interface JoinRequest {
  groupId: string;
  memberId: string;
  groupInstanceId: string | null;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: Protocol[];
  clientId: string;
  clientHost: string;
  /** JoinGroup v4+ must first be given a member id (MEMBER_ID_REQUIRED). */
  requireKnownMemberId: boolean;
}

export interface JoinResult {
  errorCode: ErrorCode;
  generationId: number;
  protocolName: string;
  leader: string;
  memberId: string;
  members: { memberId: string; groupInstanceId: string | null; metadata: Buffer }[];
}

export interface GroupDescription {
  groupId: string;
  errorCode: ErrorCode;
  state: GroupState;
  protocolType: string;
  protocol: string;
  members: {
    memberId: string;
    groupInstanceId: string | null;
    clientId: string;
    clientHost: string;
    metadata: Buffer;
    assignment: Buffer;
  }[];
}

interface Member {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocols: Protocol[];
  assignment: Buffer;
  joinWaiter?: (result: JoinResult) => void;
  syncWaiter?: (result: { errorCode: ErrorCode; assignment: Buffer }) => void;
  sessionTimer?: NodeJS.Timeout;
}

interface Group {
  id: string;
  state: GroupState;
  generation: number;
  protocolType: string;
  protocol: string;
  leader: string;
  members: Map<string, Member>;
  pending: Map<string, NodeJS.Timeout>;
  rebalanceTimer?: NodeJS.Timeout;
  /** The first rebalance of an empty group waits out its whole initial delay. */
  delayingFirstJoin: boolean;
}

const MIN_SESSION_TIMEOUT_MS = 6000;
const MAX_SESSION_TIMEOUT_MS = 1_800_000;
const EMPTY = Buffer.alloc(0);

export class GroupCoordinator {
  private readonly groups = new Map<string, Group>();
  private readonly offsets: OffsetStore;

  private constructor(private readonly config: BrokerConfig) {
    this.offsets = new OffsetStore(config.dataDir);
  }

  static async open(config: BrokerConfig): Promise<GroupCoordinator> {
    return new GroupCoordinator(config);
  }

  private group(groupId: string): Group {
    let group = this.groups.get(groupId);
    if (group === undefined) {
      group = {
        id: groupId,
        state: 'Empty',
        generation: 0,
        protocolType: '',
        protocol: '',
        leader: '',
        members: new Map(),
        pending: new Map(),
        delayingFirstJoin: false,
      };
      this.groups.set(groupId, group);
    }
    return group;
  }

  join(request: JoinRequest): Promise<JoinResult> {
    const failure = (errorCode: ErrorCode, memberId = request.memberId): Promise<JoinResult> =>
      Promise.resolve({ errorCode, generationId: -1, protocolName: '', leader: '', memberId, members: [] });
    if (request.groupId === '') return failure(ErrorCode.INVALID_GROUP_ID);
    if (request.sessionTimeoutMs < MIN_SESSION_TIMEOUT_MS || request.sessionTimeoutMs > MAX_SESSION_TIMEOUT_MS) {
      return failure(ErrorCode.INVALID_SESSION_TIMEOUT);
    }
    const group = this.group(request.groupId);
    if (group.members.size > 0) {
      const shared = request.protocols.some((protocol) =>
        [...group.members.values()].every((m) => m.protocols.some((p) => p.name === protocol.name)),
      );
      if (request.protocolType !== group.protocolType || !shared) return failure(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    }

    let memberId = request.memberId;
    if (memberId === '') {
      memberId = `${request.clientId}-${randomUUID()}`;
      if (request.requireKnownMemberId) {
        // The client rejoins with this id at once; forget it if it never does.
        const timer = setTimeout(() => group.pending.delete(memberId), request.sessionTimeoutMs);
        timer.unref();
        group.pending.set(memberId, timer);
        return failure(ErrorCode.MEMBER_ID_REQUIRED, memberId);
      }
    } else if (group.pending.has(memberId)) {
      clearTimeout(group.pending.get(memberId));
      group.pending.delete(memberId);
    } else if (!group.members.has(memberId)) {
      return failure(ErrorCode.UNKNOWN_MEMBER_ID);
    }

    return new Promise((resolve) => {
      const existing = group.members.get(memberId);
      const changed = existing === undefined || !sameProtocols(existing.protocols, request.protocols);
      const member: Member = existing ?? {
        memberId,
        groupInstanceId: request.groupInstanceId,
        clientId: request.clientId,
        clientHost: request.clientHost,
        sessionTimeoutMs: request.sessionTimeoutMs,
        rebalanceTimeoutMs: request.rebalanceTimeoutMs,
        protocols: request.protocols,
        assignment: EMPTY,
      };
      member.sessionTimeoutMs = request.sessionTimeoutMs;
      member.rebalanceTimeoutMs = request.rebalanceTimeoutMs;
      member.protocols = request.protocols;
      member.joinWaiter = resolve;
      group.members.set(memberId, member);
      group.protocolType = request.protocolType;
      this.touch(group, member);

      if (group.state === 'Stable' && !changed && memberId !== group.leader) {
        // A follower rejoining with nothing new gets the current generation back.
        member.joinWaiter = undefined;
        resolve(this.joinResult(group, member));
        return;
      }
      if (group.state !== 'PreparingRebalance') this.prepareRebalance(group);
      else this.maybeCompleteJoin(group);
    });
  }

  private prepareRebalance(group: Group): void {
    const wasEmpty = group.state === 'Empty';
    for (const member of group.members.values()) {
      member.syncWaiter?.({ errorCode: ErrorCode.REBALANCE_IN_PROGRESS, assignment: EMPTY });
      member.syncWaiter = undefined;
    }
    group.state = 'PreparingRebalance';
    clearTimeout(group.rebalanceTimer);
    const timeout = wasEmpty
      ? this.config.groupInitialRebalanceDelayMs
      : Math.max(0, ...[...group.members.values()].map((member) => member.rebalanceTimeoutMs));
    // An empty group waits a little for more members before its first generation (Kafka's
    // group.initial.rebalance.delay.ms); otherwise the timer bounds how long stragglers get.
    group.delayingFirstJoin = wasEmpty;
    group.rebalanceTimer = setTimeout(() => {
      group.delayingFirstJoin = false;
      this.completeJoin(group, true);
    }, timeout);
    group.rebalanceTimer.unref();
    if (!wasEmpty) this.maybeCompleteJoin(group);
  }

  private maybeCompleteJoin(group: Group): void {
    if (group.state !== 'PreparingRebalance') return;
    const everyoneJoined = [...group.members.values()].every((member) => member.joinWaiter !== undefined);
    if (everyoneJoined && !group.delayingFirstJoin) this.completeJoin(group, false);
  }

  private completeJoin(group: Group, timedOut: boolean): void {
    if (group.state !== 'PreparingRebalance') return;
    clearTimeout(group.rebalanceTimer);
    group.rebalanceTimer = undefined;
    if (timedOut) {
      for (const member of [...group.members.values()]) {
        if (member.joinWaiter === undefined) this.removeMember(group, member);
      }
    }
    if ([...group.members.values()].some((member) => member.joinWaiter === undefined)) return;
    if (group.members.size === 0) {
      this.becomeEmpty(group);
      return;
    }
    group.generation++;
    group.protocol = this.chooseProtocol(group);
    if (!group.members.has(group.leader)) group.leader = group.members.keys().next().value as string;
    group.state = 'CompletingRebalance';
    for (const member of group.members.values()) {
      const resolve = member.joinWaiter;
      member.joinWaiter = undefined;
      member.assignment = EMPTY;
      this.touch(group, member);
      resolve?.(this.joinResult(group, member));
    }
  }

  private joinResult(group: Group, member: Member): JoinResult {
    const isLeader = member.memberId === group.leader;
    return {
      errorCode: ErrorCode.NONE,
      generationId: group.generation,
      protocolName: group.protocol,
      leader: group.leader,
      memberId: member.memberId,
      members: isLeader
        ? [...group.members.values()].map((m) => ({
            memberId: m.memberId,
            groupInstanceId: m.groupInstanceId,
            metadata: m.protocols.find((p) => p.name === group.protocol)?.metadata ?? EMPTY,
          }))
        : [],
    };
  }

  /** Each member votes for its first protocol that every member supports; most votes wins. */
  private chooseProtocol(group: Group): string {
    const members = [...group.members.values()];
    const common = (members[0]?.protocols ?? [])
      .map((p) => p.name)
      .filter((name) => members.every((m) => m.protocols.some((p) => p.name === name)));
    const votes = new Map<string, number>();
    for (const member of members) {
      const vote = member.protocols.find((p) => common.includes(p.name))?.name;
      if (vote !== undefined) votes.set(vote, (votes.get(vote) ?? 0) + 1);
    }
    let best = common[0] ?? '';
    for (const [name, count] of votes) if (count > (votes.get(best) ?? 0)) best = name;
    return best;
  }

  sync(
    groupId: string,
    generationId: number,
    memberId: string,
    assignments: { memberId: string; assignment: Buffer }[],
  ): Promise<{ errorCode: ErrorCode; assignment: Buffer }> {
    const group = this.groups.get(groupId);
    const member = group?.members.get(memberId);
    if (group === undefined || member === undefined)
      return Promise.resolve({ errorCode: ErrorCode.UNKNOWN_MEMBER_ID, assignment: EMPTY });
    if (generationId !== group.generation)
      return Promise.resolve({ errorCode: ErrorCode.ILLEGAL_GENERATION, assignment: EMPTY });
    if (group.state === 'PreparingRebalance')
      return Promise.resolve({ errorCode: ErrorCode.REBALANCE_IN_PROGRESS, assignment: EMPTY });
    this.touch(group, member);
    if (group.state === 'Stable') return Promise.resolve({ errorCode: ErrorCode.NONE, assignment: member.assignment });
    return new Promise((resolve) => {
      member.syncWaiter = resolve;
      if (memberId !== group.leader) return;
      const byMember = new Map(assignments.map((a) => [a.memberId, Buffer.from(a.assignment)]));
      group.state = 'Stable';
      for (const m of group.members.values()) {
        m.assignment = byMember.get(m.memberId) ?? EMPTY;
        m.syncWaiter?.({ errorCode: ErrorCode.NONE, assignment: m.assignment });
        m.syncWaiter = undefined;
      }
    });
  }

  heartbeat(groupId: string, generationId: number, memberId: string): ErrorCode {
    const group = this.groups.get(groupId);
    const member = group?.members.get(memberId);
    if (group === undefined || member === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (generationId !== group.generation) return ErrorCode.ILLEGAL_GENERATION;
    this.touch(group, member);
    return group.state === 'PreparingRebalance' ? ErrorCode.REBALANCE_IN_PROGRESS : ErrorCode.NONE;
  }

  leave(groupId: string, memberIds: string[]): ErrorCode[] {
    const group = this.groups.get(groupId);
    const results = memberIds.map((memberId) => {
      const member = group?.members.get(memberId);
      if (group === undefined || member === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
      this.removeMember(group, member);
      return ErrorCode.NONE;
    });
    if (group !== undefined && results.includes(ErrorCode.NONE)) this.afterDeparture(group);
    return results;
  }

  private removeMember(group: Group, member: Member): void {
    clearTimeout(member.sessionTimer);
    group.members.delete(member.memberId);
    member.joinWaiter?.({
      errorCode: ErrorCode.UNKNOWN_MEMBER_ID,
      generationId: -1,
      protocolName: '',
      leader: '',
      memberId: member.memberId,
      members: [],
    });
    member.syncWaiter?.({ errorCode: ErrorCode.UNKNOWN_MEMBER_ID, assignment: EMPTY });
  }

  private afterDeparture(group: Group): void {
    if (group.members.size === 0) this.becomeEmpty(group);
    else if (group.state === 'PreparingRebalance') this.maybeCompleteJoin(group);
    else this.prepareRebalance(group);
  }

  private becomeEmpty(group: Group): void {
    clearTimeout(group.rebalanceTimer);
    group.rebalanceTimer = undefined;
    group.state = 'Empty';
    group.leader = '';
    group.protocol = '';
    group.generation++;
  }

  /** Restarts the member's session timer: a join, sync, heartbeat or commit proves it alive. */
  private touch(group: Group, member: Member): void {
    clearTimeout(member.sessionTimer);
    member.sessionTimer = setTimeout(() => {
      if (member.joinWaiter !== undefined) return; // parked in a rebalance: its timer decides
      this.config.log(
        `group ${group.id}: member ${member.memberId} missed its ${member.sessionTimeoutMs} ms session timeout`,
      );
      this.removeMember(group, member);
      this.afterDeparture(group);
    }, member.sessionTimeoutMs);
    member.sessionTimer.unref();
  }

  /** Validates and stores commits; resolves with one error code per commit (all the same). */
  async commit(
    groupId: string,
    generationId: number,
    memberId: string,
    commits: { topic: string; partition: number; committed: CommittedOffset }[],
  ): Promise<ErrorCode> {
    const group = this.groups.get(groupId);
    if (groupId === '') return ErrorCode.INVALID_GROUP_ID;
    if (generationId < 0 && memberId === '') {
      // Commits from outside the group (kcat without -G, admin tools) only while nobody is in it.
      if (group !== undefined && group.members.size > 0) return ErrorCode.UNKNOWN_MEMBER_ID;
    } else {
      const member = group?.members.get(memberId);
      if (group === undefined || member === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
      if (generationId !== group.generation) return ErrorCode.ILLEGAL_GENERATION;
      if (group.state === 'CompletingRebalance') return ErrorCode.REBALANCE_IN_PROGRESS;
      this.touch(group, member);
    }
    await this.offsets.commit(groupId, commits);
    return ErrorCode.NONE;
  }

  /**
   * Whether a TxnOffsetCommit may stage offsets for the group (Apache Kafka's
   * validateOffsetCommit for transactional commits): a member id or generation, when given,
   * must be current; without them (TxnOffsetCommit v0-v2, or a producer outside the group) it
   * is accepted whatever the group's state, since the commit happens at the transaction's end.
   */
  checkTransactionalCommitter(
    groupId: string,
    generationId: number,
    memberId: string,
    groupInstanceId: string | null,
  ): ErrorCode {
    if (groupId === '') return ErrorCode.INVALID_GROUP_ID;
    const group = this.groups.get(groupId);
    if (group === undefined || (generationId < 0 && group.state === 'Empty')) {
      return generationId < 0 ? ErrorCode.NONE : ErrorCode.ILLEGAL_GENERATION;
    }
    if (generationId >= 0 || memberId !== '' || groupInstanceId !== null) {
      if (!group.members.has(memberId)) return ErrorCode.UNKNOWN_MEMBER_ID;
      if (generationId !== group.generation) return ErrorCode.ILLEGAL_GENERATION;
    }
    return ErrorCode.NONE;
  }

  /** Stores the offsets of a committed transaction (TxnOffsetCommit); resolves once on disk. */
  commitTransactionalOffsets(
    groupId: string,
    commits: { topic: string; partition: number; committed: CommittedOffset }[],
  ): Promise<void> {
    return this.offsets.commit(groupId, commits);
  }

  committed(groupId: string, topic: string, partition: number): CommittedOffset | undefined {
    return this.offsets.get(groupId, topic, partition);
  }

  committedPartitions(groupId: string): { topic: string; partition: number }[] {
    return this.offsets.partitions(groupId);
  }

  describe(groupId: string): GroupDescription {
    const group = this.groups.get(groupId);
    if (group === undefined) {
      return {
        groupId,
        errorCode: ErrorCode.NONE,
        state: this.offsets.hasGroup(groupId) ? 'Empty' : 'Dead',
        protocolType: '',
        protocol: '',
        members: [],
      };
    }
    return {
      groupId,
      errorCode: ErrorCode.NONE,
      state: group.state,
      protocolType: group.protocolType,
      protocol: group.state === 'Stable' || group.state === 'CompletingRebalance' ? group.protocol : '',
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        metadata: m.protocols.find((p) => p.name === group.protocol)?.metadata ?? EMPTY,
        assignment: m.assignment,
      })),
    };
  }

  list(): { groupId: string; protocolType: string; state: GroupState }[] {
    const ids = new Set([...this.groups.keys(), ...this.offsets.groups()]);
    return [...ids].map((groupId) => {
      const group = this.groups.get(groupId);
      return { groupId, protocolType: group?.protocolType ?? 'consumer', state: group?.state ?? 'Empty' };
    });
  }

  async close(): Promise<void> {
    for (const group of this.groups.values()) {
      clearTimeout(group.rebalanceTimer);
      for (const timer of group.pending.values()) clearTimeout(timer);
      for (const member of group.members.values()) clearTimeout(member.sessionTimer);
    }
    this.groups.clear();
  }
}

function sameProtocols(a: Protocol[], b: Protocol[]): boolean {
  return a.length === b.length && a.every((p, i) => p.name === b[i]?.name && p.metadata.equals(b[i].metadata));
}
