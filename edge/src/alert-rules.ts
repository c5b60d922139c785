import { ALERT_KINDS, type AlertKindName, type AlertRuleFields, type AlertTriggerFields } from '@tickstream/schemas';

/**
 * What a person sends to create or edit an alert rule (docs/api.md), checked field by field.
 * Every refusal names the field and what it accepts; nothing is written for a refused rule.
 * The semantics of each kind, which the analytics job implements, are docs/alerts.md.
 */
export interface RuleDraft {
  symbol: string;
  kind: AlertKindName;
  value: number;
  windowMs: number;
  repeat: boolean;
  cooldownMs: number;
  expiresAtMs: number;
}

/** What the edge knows of the market, to refuse rules on symbols or sectors that do not exist. */
export interface MarketNames {
  hasSymbol(name: string): boolean;
  hasSector(name: string): boolean;
}

export type DraftCheck = { ok: true; draft: RuleDraft } | { ok: false; reason: string };

/** Prefix of an event rule's `symbol` that names a whole sector. */
export const SECTOR_PREFIX = 'sector:';

const FIELDS = new Set(['symbol', 'kind', 'value', 'window', 'repeat', 'cooldownMs', 'expiresAt']);
const MIN_WINDOW_MS = 1000;
const MAX_WINDOW_MS = 86_400_000;
const MAX_COOLDOWN_MS = 7 * 86_400_000;
/** A repeating rule without cooldownMs waits this long between two firings. */
export const DEFAULT_COOLDOWN_MS = 60_000;
const MAX_PRICE = 1e9;

/** Which kinds take a window, and its default (0: the kind's own meaning, docs/alerts.md). */
const WINDOWS: Record<AlertKindName, 'none' | 'required' | 'optional'> = {
  'price-above': 'none',
  'price-below': 'none',
  'change-pct': 'required',
  'volume-above': 'optional',
  'relative-volume': 'optional',
  'indicator-cross': 'optional',
  event: 'none',
};

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

function parseWindow(raw: unknown): number | string {
  if (typeof raw === 'number') return Number.isInteger(raw) ? raw : 'window must be whole milliseconds';
  if (typeof raw !== 'string') return 'window must be a duration such as "30s", "5m" or "1h", or milliseconds';
  const match = /^(\d+)(ms|s|m|h|d)$/.exec(raw.trim());
  if (!match) return `window must be a duration such as "30s", "5m" or "1h"; got ${JSON.stringify(raw)}`;
  return Number(match[1]) * (DURATION_UNITS[match[2] as string] as number);
}

/** The shortest exact way to write a window: 300000 → "5m". */
export function formatWindow(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const size = DURATION_UNITS[unit] as number;
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

function parseTime(raw: unknown): number | string {
  if (typeof raw === 'number' && Number.isInteger(raw) && raw > 0) return raw;
  if (typeof raw === 'string' && !Number.isNaN(Date.parse(raw))) return Date.parse(raw);
  return 'expiresAt must be a time: milliseconds since the Unix epoch, or an ISO 8601 string';
}

function checkValue(kind: AlertKindName, value: number): string | null {
  switch (kind) {
    case 'price-above':
    case 'price-below':
      return value > 0 && value <= MAX_PRICE ? null : `value of ${kind} must be a price above 0 (currency units)`;
    case 'change-pct':
      return value !== 0 && value > -100 && value <= 10_000
        ? null
        : 'value of change-pct must be a percent change other than 0, above -100 and at most 10000 (e.g. 5 or -3)';
    case 'volume-above':
      return Number.isInteger(value) && value >= 1
        ? null
        : 'value of volume-above must be a whole number of shares ≥ 1';
    case 'relative-volume':
      return value > 0 && value <= 1000
        ? null
        : 'value of relative-volume must be a multiple of the trailing average above 0 and at most 1000 (e.g. 3)';
    case 'indicator-cross':
      return Number.isInteger(value) && value >= 2 && value <= 200
        ? null
        : 'value of indicator-cross must be the SMA period in bars, a whole number from 2 to 200 (e.g. 50)';
    case 'event':
      return value === 0 ? null : 'value of an event rule must be 0 or left out: it fires on any market event';
  }
}

/** Checks one rule as sent to POST /api/alerts (or PUT), against the market this edge knows. */
export function checkRuleDraft(body: unknown, market: MarketNames, nowMs: number): DraftCheck {
  const refuse = (reason: string): DraftCheck => ({ ok: false, reason });
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return refuse('a rule is a JSON object: {"symbol","kind","value","window?","repeat?","cooldownMs?","expiresAt?"}');
  const fields = body as Record<string, unknown>;
  const unknown = Object.keys(fields).filter((name) => !FIELDS.has(name));
  if (unknown.length > 0)
    return refuse(`unknown field ${JSON.stringify(unknown[0])}; a rule has ${[...FIELDS].join(', ')}`);

  const kind = fields.kind;
  if (typeof kind !== 'string' || !(ALERT_KINDS as readonly string[]).includes(kind))
    return refuse(`kind must be one of ${ALERT_KINDS.join(', ')}; got ${JSON.stringify(kind ?? null)}`);
  const ruleKind = kind as AlertKindName;

  const symbol = fields.symbol;
  if (typeof symbol !== 'string' || symbol === '') return refuse('symbol is required, e.g. "AAPL"');
  if (symbol.startsWith(SECTOR_PREFIX)) {
    if (ruleKind !== 'event') return refuse(`only event rules may name a sector; ${ruleKind} needs a symbol`);
    const sector = symbol.slice(SECTOR_PREFIX.length);
    if (!market.hasSector(sector)) return refuse(`unknown sector ${JSON.stringify(sector)}`);
  } else if (!market.hasSymbol(symbol)) return refuse(`unknown symbol ${JSON.stringify(symbol)}`);

  const rawValue = fields.value ?? (ruleKind === 'event' ? 0 : undefined);
  if (typeof rawValue !== 'number' || !Number.isFinite(rawValue))
    return refuse(`value is required and must be a number (got ${JSON.stringify(fields.value ?? null)})`);
  const valueProblem = checkValue(ruleKind, rawValue);
  if (valueProblem !== null) return refuse(`${valueProblem}; got ${rawValue}`);

  let windowMs = 0;
  const windowRule = WINDOWS[ruleKind];
  if (fields.window !== undefined) {
    if (windowRule === 'none') return refuse(`${ruleKind} takes no window`);
    const parsed = parseWindow(fields.window);
    if (typeof parsed === 'string') return refuse(parsed);
    if (parsed < MIN_WINDOW_MS || parsed > MAX_WINDOW_MS)
      return refuse(`window must be from 1s to 1d; got ${parsed} ms`);
    windowMs = parsed;
  } else if (windowRule === 'required') return refuse(`${ruleKind} needs a window, e.g. "5m"`);

  const repeat = fields.repeat ?? false;
  if (typeof repeat !== 'boolean') return refuse('repeat must be true or false');
  let cooldownMs = repeat ? DEFAULT_COOLDOWN_MS : 0;
  if (fields.cooldownMs !== undefined) {
    if (!repeat) return refuse('cooldownMs applies only to repeating rules ("repeat": true)');
    const cooldown = fields.cooldownMs;
    if (typeof cooldown !== 'number' || !Number.isInteger(cooldown) || cooldown < 0 || cooldown > MAX_COOLDOWN_MS)
      return refuse(`cooldownMs must be whole milliseconds from 0 to ${MAX_COOLDOWN_MS} (7 days)`);
    cooldownMs = cooldown;
  }

  let expiresAtMs = 0;
  if (fields.expiresAt !== undefined && fields.expiresAt !== null) {
    const parsed = parseTime(fields.expiresAt);
    if (typeof parsed === 'string') return refuse(parsed);
    if (parsed <= nowMs) return refuse(`expiresAt ${new Date(parsed).toISOString()} is not in the future`);
    expiresAtMs = parsed;
  }
  return { ok: true, draft: { symbol, kind: ruleKind, value: rawValue, windowMs, repeat, cooldownMs, expiresAtMs } };
}

export type RuleStatus = 'active' | 'triggered' | 'expired';

/** A rule as the API shows it: the shape it was created with, plus its id, times and status. */
export interface RuleJson {
  id: string;
  symbol: string;
  kind: AlertKindName;
  value: number;
  window?: string;
  repeat: boolean;
  cooldownMs: number;
  expiresAt?: number;
  createdAt: number;
  armedAt: number;
  status: RuleStatus;
  lastTriggeredAt?: number;
}

/** The trigger shape of the contract: {"id","ruleId","symbol","kind","value","price","time"} (time in ms). */
export interface TriggerJson {
  id: string;
  ruleId: string;
  symbol: string;
  kind: AlertKindName;
  value: number;
  price: number;
  time: number;
}

export function triggerJson(trigger: AlertTriggerFields): TriggerJson {
  return {
    id: trigger.id,
    ruleId: trigger.ruleId,
    symbol: trigger.symbol,
    kind: trigger.kind,
    value: trigger.value,
    price: trigger.price,
    time: trigger.timeMs,
  };
}

/** expired: past expiresAt; triggered: a one-shot rule that fired since it was (re-)armed; else active. */
export function ruleStatus(
  rule: AlertRuleFields,
  lastTrigger: AlertTriggerFields | undefined,
  nowMs: number,
): RuleStatus {
  if (rule.expiresAtMs !== 0 && rule.expiresAtMs <= nowMs) return 'expired';
  if (!rule.repeat && lastTrigger !== undefined && lastTrigger.ruleArmedAtMs === rule.armedAtMs) return 'triggered';
  return 'active';
}

export function ruleJson(rule: AlertRuleFields, lastTrigger: AlertTriggerFields | undefined, nowMs: number): RuleJson {
  return {
    id: rule.id,
    symbol: rule.symbol,
    kind: rule.kind,
    value: rule.value,
    ...(rule.windowMs !== 0 ? { window: formatWindow(rule.windowMs) } : {}),
    repeat: rule.repeat,
    cooldownMs: rule.cooldownMs,
    ...(rule.expiresAtMs !== 0 ? { expiresAt: rule.expiresAtMs } : {}),
    createdAt: rule.createdAtMs,
    armedAt: rule.armedAtMs,
    status: ruleStatus(rule, lastTrigger, nowMs),
    ...(lastTrigger !== undefined ? { lastTriggeredAt: lastTrigger.timeMs } : {}),
  };
}
