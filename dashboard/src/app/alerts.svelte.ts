import type { AlertTriggerFields } from '@tickstream/schemas';
import type { Engine } from '../engine/index.js';

/** A rule as GET /api/alerts shows it (docs/api.md). */
export interface Rule {
  id: string;
  symbol: string;
  kind: string;
  value: number;
  window?: string;
  repeat: boolean;
  cooldownMs: number;
  expiresAt?: number;
  createdAt: number;
  armedAt: number;
  status: 'active' | 'triggered' | 'expired';
  lastTriggeredAt?: number;
}

/** The contract's trigger shape. */
export interface Trigger {
  id: string;
  ruleId: string;
  symbol: string;
  kind: string;
  value: number;
  price: number;
  time: number;
}

/** What the form sends: the body of POST /api/alerts. */
export interface RuleDraft {
  symbol: string;
  kind: string;
  value: number;
  window?: string;
  repeat?: boolean;
  cooldownMs?: number;
  expiresAt?: number;
}

export interface Toast {
  id: string;
  text: string;
}

const TOAST_MS = 8000;

export function describeTrigger(trigger: Trigger): string {
  return `${trigger.symbol} ${trigger.kind} fired at ${trigger.price.toFixed(2)} (value ${trigger.value})`;
}

export function describeRule(rule: RuleDraft): string {
  const window = rule.window ? ` over ${rule.window}` : '';
  return `${rule.symbol} ${rule.kind} ${rule.value}${window}${rule.repeat ? ', repeating' : ''}`;
}

/**
 * The signed-in user's alert rules and triggers: read and changed through /api/alerts, with
 * new triggers pushed by the edge over the WebSocket. Each new trigger becomes a toast, an
 * announcement in the page's live region, and a browser Notification when the person allowed
 * them (asking is theirs to start, never done on load).
 */
class Alerts {
  rules = $state.raw<Rule[]>([]);
  triggers = $state.raw<Trigger[]>([]);
  /** Triggers that arrived since the Alerts tab was last looked at. */
  unseen = $state(0);
  toasts = $state<Toast[]>([]);
  /** The latest announcement for screen readers (aria-live). */
  announcement = $state('');
  permission = $state<NotificationPermission | 'unsupported'>(
    typeof Notification === 'undefined' ? 'unsupported' : Notification.permission,
  );
  /** A rule being prepared elsewhere (grid row, chart click), for the form to pick up. */
  draft = $state<RuleDraft | null>(null);
  problem = $state('');

  get active(): Rule[] {
    return this.rules.filter((rule) => rule.status === 'active');
  }

  get triggered(): Rule[] {
    return this.rules.filter((rule) => rule.status === 'triggered');
  }

  get expired(): Rule[] {
    return this.rules.filter((rule) => rule.status === 'expired');
  }

  bind(engine: Engine): () => void {
    const offs = [
      engine.on('alerts', () => void this.refresh()),
      engine.on('trigger', (trigger) => this.arrived(trigger)),
    ];
    void this.refresh();
    return () => {
      for (const off of offs) off();
    };
  }

  async refresh(): Promise<void> {
    const response = await fetch('/api/alerts').catch(() => null);
    if (!response?.ok) return;
    const body = (await response.json()) as { rules: Rule[]; triggers: Trigger[] };
    this.rules = body.rules;
    this.triggers = body.triggers;
  }

  /** Creates a rule, or edits `id`; resolves with '' or the edge's precise reason for refusing. */
  async save(draft: RuleDraft, id?: string): Promise<string> {
    const response = await fetch(id ? `/api/alerts/${encodeURIComponent(id)}` : '/api/alerts', {
      method: id ? 'PUT' : 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(draft),
    });
    if (!response.ok) {
      const body = (await response.json().catch(() => ({}))) as { error?: string };
      return body.error ?? `the edge answered ${response.status}`;
    }
    this.announcement = `Alert ${id ? 'saved' : 'created'}: ${describeRule(draft)}`;
    await this.refresh();
    return '';
  }

  rearm(rule: Rule): Promise<string> {
    return this.save(draftOf(rule), rule.id);
  }

  async remove(rule: Rule): Promise<string> {
    const response = await fetch(`/api/alerts/${encodeURIComponent(rule.id)}`, { method: 'DELETE' });
    if (!response.ok) {
      const body = (await response.json().catch(() => ({}))) as { error?: string };
      return body.error ?? `the edge answered ${response.status}`;
    }
    this.announcement = `Alert deleted: ${describeRule(rule)}`;
    await this.refresh();
    return '';
  }

  /** Asks the browser for permission to notify: only ever called from a person's click. */
  async enableNotifications(): Promise<void> {
    if (typeof Notification === 'undefined') return;
    this.permission = await Notification.requestPermission();
  }

  seen(): void {
    this.unseen = 0;
  }

  dismiss(id: string): void {
    this.toasts = this.toasts.filter((toast) => toast.id !== id);
  }

  private arrived(fields: AlertTriggerFields): void {
    const trigger: Trigger = {
      id: fields.id,
      ruleId: fields.ruleId,
      symbol: fields.symbol,
      kind: fields.kind,
      value: fields.value,
      price: fields.price,
      time: fields.timeMs,
    };
    if (this.triggers.some((known) => known.id === trigger.id)) return;
    this.triggers = [...this.triggers, trigger];
    this.unseen++;
    const text = `Alert: ${describeTrigger(trigger)}`;
    this.toasts = [...this.toasts, { id: trigger.id, text }];
    setTimeout(() => this.dismiss(trigger.id), TOAST_MS);
    this.announcement = text;
    if (typeof Notification !== 'undefined' && Notification.permission === 'granted') {
      new Notification(`tickstream: ${trigger.symbol}`, { body: describeTrigger(trigger), tag: trigger.id });
    }
    // The rule's status (triggered for a one-shot rule) comes from the edge.
    void this.refresh();
  }
}

export function draftOf(rule: Rule): RuleDraft {
  return {
    symbol: rule.symbol,
    kind: rule.kind,
    value: rule.value,
    ...(rule.window ? { window: rule.window } : {}),
    repeat: rule.repeat,
    ...(rule.repeat ? { cooldownMs: rule.cooldownMs } : {}),
    ...(rule.expiresAt ? { expiresAt: rule.expiresAt } : {}),
  };
}

export const alerts = new Alerts();
