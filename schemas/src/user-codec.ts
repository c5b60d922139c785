import * as flatbuffers from 'flatbuffers';
import type { AlertKind } from './generated/tickstream/user/alert-kind.js';
import { AlertRule } from './generated/tickstream/user/alert-rule.js';
import { AlertTrigger } from './generated/tickstream/user/alert-trigger.js';
import type { Role } from './generated/tickstream/user/role.js';
import { UserAccount } from './generated/tickstream/user/user-account.js';
import { ProtocolError } from './protocol-error.js';
import { alertRuleSpec, alertTriggerSpec, userAccountSpec } from './specs.js';
import { verifyRoot } from './verify.js';

/** Rule kinds by their API names (docs/api.md); the order is the AlertKind enum of user.fbs. */
export const ALERT_KINDS = [
  'price-above',
  'price-below',
  'change-pct',
  'volume-above',
  'relative-volume',
  'indicator-cross',
  'event',
] as const;
export type AlertKindName = (typeof ALERT_KINDS)[number];

export const USER_ROLES = ['viewer', 'trader', 'admin'] as const;
export type UserRoleName = (typeof USER_ROLES)[number];

/** A record of the `users` topic. */
export interface UserAccountFields {
  name: string;
  role: UserRoleName;
  passwordHash: string;
  updatedAtMs: number;
}

/** A record of the `alerts` topic (user.fbs AlertRule). Times in ms since the epoch; 0 = unset. */
export interface AlertRuleFields {
  id: string;
  user: string;
  symbol: string;
  kind: AlertKindName;
  value: number;
  windowMs: number;
  repeat: boolean;
  cooldownMs: number;
  expiresAtMs: number;
  createdAtMs: number;
  armedAtMs: number;
}

/** A record of the `alert_events` topic (user.fbs AlertTrigger). */
export interface AlertTriggerFields {
  id: string;
  user: string;
  ruleId: string;
  symbol: string;
  kind: AlertKindName;
  value: number;
  price: number;
  timeMs: number;
  threshold: number;
  tickSequence: number;
  ruleArmedAtMs: number;
  detail: string;
}

function kindName(kind: AlertKind): AlertKindName {
  const name = ALERT_KINDS[kind];
  if (name === undefined) throw new ProtocolError('invalid-field', `unknown alert kind ${kind}`);
  return name;
}

function kindOf(name: AlertKindName): AlertKind {
  return ALERT_KINDS.indexOf(name) as AlertKind;
}

export function writeAlertRule(builder: flatbuffers.Builder, rule: AlertRuleFields): flatbuffers.Offset {
  const id = builder.createString(rule.id);
  const user = builder.createString(rule.user);
  const symbol = builder.createString(rule.symbol);
  AlertRule.startAlertRule(builder);
  AlertRule.addId(builder, id);
  AlertRule.addUser(builder, user);
  AlertRule.addSymbol(builder, symbol);
  AlertRule.addKind(builder, kindOf(rule.kind));
  AlertRule.addValue(builder, rule.value);
  AlertRule.addWindowMs(builder, BigInt(rule.windowMs));
  AlertRule.addRepeat(builder, rule.repeat);
  AlertRule.addCooldownMs(builder, BigInt(rule.cooldownMs));
  AlertRule.addExpiresAtMs(builder, BigInt(rule.expiresAtMs));
  AlertRule.addCreatedAtMs(builder, BigInt(rule.createdAtMs));
  AlertRule.addArmedAtMs(builder, BigInt(rule.armedAtMs));
  return AlertRule.endAlertRule(builder);
}

export function readAlertRule(rule: AlertRule): AlertRuleFields {
  return {
    id: rule.id() ?? '',
    user: rule.user() ?? '',
    symbol: rule.symbol() ?? '',
    kind: kindName(rule.kind()),
    value: rule.value(),
    windowMs: Number(rule.windowMs()),
    repeat: rule.repeat(),
    cooldownMs: Number(rule.cooldownMs()),
    expiresAtMs: Number(rule.expiresAtMs()),
    createdAtMs: Number(rule.createdAtMs()),
    armedAtMs: Number(rule.armedAtMs()),
  };
}

export function writeAlertTrigger(builder: flatbuffers.Builder, trigger: AlertTriggerFields): flatbuffers.Offset {
  const id = builder.createString(trigger.id);
  const user = builder.createString(trigger.user);
  const ruleId = builder.createString(trigger.ruleId);
  const symbol = builder.createString(trigger.symbol);
  const detail = builder.createString(trigger.detail);
  AlertTrigger.startAlertTrigger(builder);
  AlertTrigger.addId(builder, id);
  AlertTrigger.addUser(builder, user);
  AlertTrigger.addRuleId(builder, ruleId);
  AlertTrigger.addSymbol(builder, symbol);
  AlertTrigger.addKind(builder, kindOf(trigger.kind));
  AlertTrigger.addValue(builder, trigger.value);
  AlertTrigger.addPrice(builder, trigger.price);
  AlertTrigger.addTimeMs(builder, BigInt(trigger.timeMs));
  AlertTrigger.addThreshold(builder, trigger.threshold);
  AlertTrigger.addTickSequence(builder, BigInt(trigger.tickSequence));
  AlertTrigger.addRuleArmedAtMs(builder, BigInt(trigger.ruleArmedAtMs));
  AlertTrigger.addDetail(builder, detail);
  return AlertTrigger.endAlertTrigger(builder);
}

export function readAlertTrigger(trigger: AlertTrigger): AlertTriggerFields {
  return {
    id: trigger.id() ?? '',
    user: trigger.user() ?? '',
    ruleId: trigger.ruleId() ?? '',
    symbol: trigger.symbol() ?? '',
    kind: kindName(trigger.kind()),
    value: trigger.value(),
    price: trigger.price(),
    timeMs: Number(trigger.timeMs()),
    threshold: trigger.threshold(),
    tickSequence: Number(trigger.tickSequence()),
    ruleArmedAtMs: Number(trigger.ruleArmedAtMs()),
    detail: trigger.detail() ?? '',
  };
}

function finished(write: (builder: flatbuffers.Builder) => flatbuffers.Offset): Uint8Array {
  const builder = new flatbuffers.Builder(256);
  builder.finish(write(builder));
  return builder.asUint8Array().slice();
}

/** An `alerts` record value. */
export function encodeAlertRule(rule: AlertRuleFields): Uint8Array {
  return finished((builder) => writeAlertRule(builder, rule));
}

/** Decodes an `alerts` record value. Throws only ProtocolError. */
export function decodeAlertRule(bytes: Uint8Array): AlertRuleFields {
  verifyRoot(bytes, alertRuleSpec);
  return readAlertRule(AlertRule.getRootAsAlertRule(new flatbuffers.ByteBuffer(bytes)));
}

/** An `alert_events` record value. */
export function encodeAlertTrigger(trigger: AlertTriggerFields): Uint8Array {
  return finished((builder) => writeAlertTrigger(builder, trigger));
}

/** Decodes an `alert_events` record value. Throws only ProtocolError. */
export function decodeAlertTrigger(bytes: Uint8Array): AlertTriggerFields {
  verifyRoot(bytes, alertTriggerSpec);
  return readAlertTrigger(AlertTrigger.getRootAsAlertTrigger(new flatbuffers.ByteBuffer(bytes)));
}

/** A `users` record value. */
export function encodeUserAccount(account: UserAccountFields): Uint8Array {
  return finished((builder) => {
    const name = builder.createString(account.name);
    const hash = builder.createString(account.passwordHash);
    return UserAccount.createUserAccount(
      builder,
      name,
      USER_ROLES.indexOf(account.role) as Role,
      hash,
      BigInt(account.updatedAtMs),
    );
  });
}

/** Decodes a `users` record value. Throws only ProtocolError. */
export function decodeUserAccount(bytes: Uint8Array): UserAccountFields {
  verifyRoot(bytes, userAccountSpec);
  const account = UserAccount.getRootAsUserAccount(new flatbuffers.ByteBuffer(bytes));
  const role = USER_ROLES[account.role()];
  if (role === undefined) throw new ProtocolError('invalid-field', `unknown role ${account.role()}`);
  return {
    name: account.name() ?? '',
    role,
    passwordHash: account.passwordHash() ?? '',
    updatedAtMs: Number(account.updatedAtMs()),
  };
}
