import { readFileSync } from 'node:fs';
import {
  ALERT_KINDS,
  type AlertRuleFields,
  type AlertTriggerFields,
  decodeAlertRule,
  encodeAlertRule,
} from '@tickstream/schemas';
import { describe, expect, it } from 'vitest';
import { checkRuleDraft, formatWindow, type MarketNames, ruleStatus } from './alert-rules.js';

const market: MarketNames = {
  hasSymbol: (name) => ['AAPL', 'MSFT'].includes(name),
  hasSector: (name) => name === 'Technology',
};

interface FixtureCase {
  name: string;
  rule: Omit<AlertRuleFields, 'createdAtMs'>;
  events: { type: string }[];
  expect: { event: number }[];
}

const fixture = JSON.parse(
  readFileSync(new URL('../../schemas/fixtures/alert-rules.json', import.meta.url), 'utf8'),
) as { t0Ms: number; cases: FixtureCase[] };

describe('the boundary cases part B evaluates (schemas/fixtures/alert-rules.json)', () => {
  it('cover every kind, with rules the edge accepts and expectations that point at ticks or events after the rule', () => {
    expect(new Set(fixture.cases.map((c) => c.rule.kind))).toEqual(new Set(ALERT_KINDS));
    for (const { name, rule, events, expect: fired } of fixture.cases) {
      const draft = {
        symbol: rule.symbol,
        kind: rule.kind,
        value: rule.value,
        ...(rule.windowMs ? { window: rule.windowMs } : {}),
        repeat: rule.repeat,
        ...(rule.repeat ? { cooldownMs: rule.cooldownMs } : {}),
        ...(rule.expiresAtMs ? { expiresAt: rule.expiresAtMs } : {}),
      };
      expect(checkRuleDraft(draft, market, fixture.t0Ms - 60_000), name).toMatchObject({ ok: true });
      const full: AlertRuleFields = { ...rule, createdAtMs: rule.armedAtMs };
      expect(decodeAlertRule(encodeAlertRule(full)), name).toEqual(full);
      const ruleAt = events.findIndex((event) => event.type === 'rule');
      expect(ruleAt, name).toBeGreaterThanOrEqual(0);
      for (const trigger of fired) {
        expect(trigger.event, name).toBeGreaterThan(ruleAt);
        expect(['tick', 'market-event'], name).toContain(events[trigger.event]?.type);
      }
    }
  });
});

describe('rule drafts', () => {
  it('take windows as durations or milliseconds and write them back in the shortest exact unit', () => {
    const check = checkRuleDraft({ symbol: 'AAPL', kind: 'change-pct', value: 2, window: 90_000 }, market, 0);
    expect(check).toMatchObject({ ok: true, draft: { windowMs: 90_000 } });
    expect(formatWindow(90_000)).toBe('90s');
    expect(formatWindow(300_000)).toBe('5m');
    expect(formatWindow(1500)).toBe('1500ms');
    expect(checkRuleDraft({ symbol: 'AAPL', kind: 'change-pct', value: 2, window: '1h' }, market, 0)).toMatchObject({
      draft: { windowMs: 3_600_000 },
    });
  });

  it('give a repeating rule a default cool-down, and read expiresAt as ms or ISO 8601', () => {
    expect(checkRuleDraft({ symbol: 'AAPL', kind: 'price-above', value: 1, repeat: true }, market, 0)).toMatchObject({
      draft: { repeat: true, cooldownMs: 60_000 },
    });
    const iso = checkRuleDraft(
      { symbol: 'AAPL', kind: 'price-above', value: 1, expiresAt: '2030-01-01T00:00:00Z' },
      market,
      0,
    );
    expect(iso).toMatchObject({ draft: { expiresAtMs: Date.parse('2030-01-01T00:00:00Z') } });
  });

  it('take event rules on a sector and without a value', () => {
    expect(checkRuleDraft({ symbol: 'sector:Technology', kind: 'event' }, market, 0)).toMatchObject({
      ok: true,
      draft: { value: 0 },
    });
    expect(checkRuleDraft({ symbol: 'AAPL', kind: 'event', value: 3 }, market, 0)).toMatchObject({ ok: false });
  });
});

describe('rule status', () => {
  const rule: AlertRuleFields = {
    id: 'a1',
    user: 'alice',
    symbol: 'AAPL',
    kind: 'price-above',
    value: 200,
    windowMs: 0,
    repeat: false,
    cooldownMs: 0,
    expiresAtMs: 5000,
    createdAtMs: 1000,
    armedAtMs: 2000,
  };
  const trigger = (armedAt: number): AlertTriggerFields => ({
    id: 't',
    user: 'alice',
    ruleId: 'a1',
    symbol: 'AAPL',
    kind: 'price-above',
    value: 200,
    price: 200,
    timeMs: 3000,
    threshold: 200,
    tickSequence: 1,
    ruleArmedAtMs: armedAt,
    detail: '',
  });

  it('is triggered for a one-shot rule fired since its arming, active again once re-armed, expired at expiresAt', () => {
    expect(ruleStatus(rule, undefined, 4999)).toBe('active');
    expect(ruleStatus(rule, trigger(2000), 4999)).toBe('triggered');
    expect(ruleStatus(rule, trigger(1500), 4999)).toBe('active');
    expect(ruleStatus({ ...rule, repeat: true }, trigger(2000), 4999)).toBe('active');
    expect(ruleStatus(rule, undefined, 5000)).toBe('expired');
  });
});
