import type { AlertRuleFields, AlertTriggerFields } from '@tickstream/schemas';

/** Recent triggers kept per user: what GET /api/alerts and AlertList show. */
export const TRIGGERS_KEPT_PER_USER = 200;

/**
 * Every user's alert rules and recent triggers, as read from the `alerts` and `alert_events`
 * topics (and as this edge wrote them, so a change is seen at once by the one who made it).
 * Memory is bounded: rules by the per-user limit the edge enforces, triggers by
 * TRIGGERS_KEPT_PER_USER.
 */
export class AlertBook {
  private readonly rules = new Map<string, Map<string, AlertRuleFields>>();
  private readonly triggers = new Map<string, AlertTriggerFields[]>();
  private readonly seenTriggerIds = new Map<string, Set<string>>();
  private readonly lastByRule = new Map<string, AlertTriggerFields>();

  /** An `alerts` record: a rule (created or edited), or null for a tombstone. */
  applyRule(user: string, id: string, rule: AlertRuleFields | null): void {
    let mine = this.rules.get(user);
    if (rule === null) {
      mine?.delete(id);
      if (mine?.size === 0) this.rules.delete(user);
      return;
    }
    if (mine === undefined) {
      mine = new Map();
      this.rules.set(user, mine);
    }
    mine.set(id, rule);
  }

  /** An `alert_events` record. False when this trigger was seen already (the job writes at least once). */
  applyTrigger(trigger: AlertTriggerFields): boolean {
    let seen = this.seenTriggerIds.get(trigger.user);
    if (seen === undefined) {
      seen = new Set();
      this.seenTriggerIds.set(trigger.user, seen);
    }
    if (seen.has(trigger.id)) return false;
    let recent = this.triggers.get(trigger.user);
    if (recent === undefined) {
      recent = [];
      this.triggers.set(trigger.user, recent);
    }
    recent.push(trigger);
    seen.add(trigger.id);
    if (recent.length > TRIGGERS_KEPT_PER_USER) {
      const dropped = recent.shift() as AlertTriggerFields;
      seen.delete(dropped.id);
    }
    const last = this.lastByRule.get(trigger.ruleId);
    if (last === undefined || last.timeMs <= trigger.timeMs) this.lastByRule.set(trigger.ruleId, trigger);
    return true;
  }

  rule(user: string, id: string): AlertRuleFields | undefined {
    return this.rules.get(user)?.get(id);
  }

  rulesOf(user: string): AlertRuleFields[] {
    return [...(this.rules.get(user)?.values() ?? [])].sort((a, b) => a.createdAtMs - b.createdAtMs);
  }

  ruleCount(user: string): number {
    return this.rules.get(user)?.size ?? 0;
  }

  /** Oldest first. */
  triggersOf(user: string): AlertTriggerFields[] {
    return [...(this.triggers.get(user) ?? [])];
  }

  lastTrigger(ruleId: string): AlertTriggerFields | undefined {
    return this.lastByRule.get(ruleId);
  }
}
