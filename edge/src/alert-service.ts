import { randomBytes } from 'node:crypto';
import type { AlertRuleFields, AlertTriggerFields } from '@tickstream/schemas';
import {
  checkRuleDraft,
  type MarketNames,
  type RuleJson,
  ruleJson,
  type TriggerJson,
  triggerJson,
} from './alert-rules.js';
import type { UserState } from './user-state.js';

export type AlertOutcome =
  | { ok: true; rule: AlertRuleFields }
  | { ok: false; status: 400 | 404 | 503; message: string };

export interface AlertListing {
  rules: AlertRuleFields[];
  triggers: AlertTriggerFields[];
}

/**
 * The alert operations of one edge, the same for HTTP (/api/alerts) and the WebSocket
 * (AlertList, AlertCreate, AlertUpdate, AlertDelete): each acts only on the caller's own rules.
 * Rules are saved to Kafka before they are acknowledged; evaluating them is the analytics job's
 * (docs/alerts.md).
 */
export class AlertService {
  constructor(
    private readonly state: UserState,
    private readonly market: MarketNames,
    private readonly maxRulesPerUser: number,
    private readonly now: () => number = Date.now,
  ) {}

  private unavailable(): AlertOutcome | null {
    return this.state.ready
      ? null
      : { ok: false, status: 503, message: 'edge is loading alert rules from Kafka; retry shortly' };
  }

  list(user: string): AlertListing {
    return { rules: this.state.book.rulesOf(user), triggers: this.state.book.triggersOf(user) };
  }

  /** The listing as GET /api/alerts answers it. */
  json(user: string): { rules: RuleJson[]; triggers: TriggerJson[] } {
    const { rules, triggers } = this.list(user);
    const now = this.now();
    return {
      rules: rules.map((rule) => this.ruleJson(rule, now)),
      triggers: triggers.map(triggerJson),
    };
  }

  ruleJson(rule: AlertRuleFields, now = this.now()): RuleJson {
    return ruleJson(rule, this.state.book.lastTrigger(rule.id), now);
  }

  async create(user: string, body: unknown): Promise<AlertOutcome> {
    const waiting = this.unavailable();
    if (waiting) return waiting;
    const now = this.now();
    const check = checkRuleDraft(body, this.market, now);
    if (!check.ok) return { ok: false, status: 400, message: check.reason };
    const count = this.state.book.ruleCount(user);
    if (count >= this.maxRulesPerUser)
      return {
        ok: false,
        status: 400,
        message: `user ${user} has ${count} alert rules, the most this edge allows (--max-alerts-per-user ${this.maxRulesPerUser}): delete one first`,
      };
    const rule: AlertRuleFields = {
      id: `a${randomBytes(8).toString('hex')}`,
      user,
      ...check.draft,
      createdAtMs: now,
      armedAtMs: now,
    };
    return this.save(rule);
  }

  /** Replaces a rule with a new draft and re-arms it (a triggered one-shot rule becomes active). */
  async update(user: string, id: string, body: unknown): Promise<AlertOutcome> {
    const waiting = this.unavailable();
    if (waiting) return waiting;
    const existing = this.state.book.rule(user, id);
    if (existing === undefined) return notFound(user, id);
    const now = this.now();
    const check = checkRuleDraft(body, this.market, now);
    if (!check.ok) return { ok: false, status: 400, message: check.reason };
    // armedAt moves forward even within one millisecond, so a re-arm is always a new arming.
    return this.save({ ...existing, ...check.draft, armedAtMs: Math.max(now, existing.armedAtMs + 1) });
  }

  async remove(user: string, id: string): Promise<AlertOutcome> {
    const waiting = this.unavailable();
    if (waiting) return waiting;
    const existing = this.state.book.rule(user, id);
    if (existing === undefined) return notFound(user, id);
    try {
      await this.state.deleteRule(user, id);
    } catch (error) {
      return kafkaFailed(error);
    }
    return { ok: true, rule: existing };
  }

  private async save(rule: AlertRuleFields): Promise<AlertOutcome> {
    try {
      await this.state.saveRule(rule);
    } catch (error) {
      return kafkaFailed(error);
    }
    return { ok: true, rule };
  }
}

function notFound(user: string, id: string): AlertOutcome {
  return { ok: false, status: 404, message: `no alert rule ${JSON.stringify(id)} of user ${user}` };
}

function kafkaFailed(error: unknown): AlertOutcome {
  return {
    ok: false,
    status: 503,
    message: `Kafka did not take the change (${(error as Error).message}): nothing saved; retry`,
  };
}
