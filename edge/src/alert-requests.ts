import { type AlertRuleFields, ErrorCode, type ServerFrameEncoder } from '@tickstream/schemas';
import type { AlertOutcome, AlertService } from './alert-service.js';
import { permit } from './auth.js';
import type { FanOut } from './fan-out.js';
import type { Session } from './session.js';

/** The alert messages of protocol 2, as ClientMessages hands them over. */
export type AlertRequest =
  | { type: 'alert-list'; requestId: number }
  | { type: 'alert-create'; requestId: number; rule: AlertRuleFields }
  | { type: 'alert-update'; requestId: number; rule: AlertRuleFields }
  | { type: 'alert-delete'; requestId: number; id: string };

const ERROR_BY_STATUS: Record<number, ErrorCode> = {
  400: ErrorCode.InvalidAlert,
  404: ErrorCode.NotFound,
  503: ErrorCode.KafkaUnavailable,
};

/** A rule as sent over the WebSocket, in the shape POST /api/alerts checks (0 = unset). */
function draftOf(rule: AlertRuleFields): Record<string, unknown> {
  return {
    symbol: rule.symbol,
    kind: rule.kind,
    value: rule.value,
    ...(rule.windowMs !== 0 ? { window: rule.windowMs } : {}),
    repeat: rule.repeat,
    ...(rule.repeat ? { cooldownMs: rule.cooldownMs } : {}),
    ...(rule.expiresAtMs !== 0 ? { expiresAt: rule.expiresAtMs } : {}),
  };
}

/**
 * Answers AlertList, AlertCreate, AlertUpdate and AlertDelete for the connection's own user with
 * an Alerts frame (the user's rules and recent triggers), or an Error carrying the request id.
 * A connection that asked once is then sent AlertTriggered for each new trigger of its user.
 */
export class AlertRequests {
  constructor(
    private readonly alerts: AlertService,
    private readonly fanOut: FanOut,
    private readonly encoder: ServerFrameEncoder,
    private readonly epoch: number,
  ) {}

  async handle(session: Session, request: AlertRequest): Promise<void> {
    const { principal } = session;
    if (request.type !== 'alert-list') {
      const admission = permit(principal, 'trader');
      if (!admission.ok) {
        this.fanOut.sendError(session, ErrorCode.Forbidden, admission.message, request.requestId);
        return;
      }
    }
    let outcome: AlertOutcome | null = null;
    switch (request.type) {
      case 'alert-list':
        session.followsAlerts = true;
        break;
      case 'alert-create':
        outcome = await this.alerts.create(principal.user, draftOf(request.rule));
        break;
      case 'alert-update':
        outcome = await this.alerts.update(principal.user, request.rule.id, draftOf(request.rule));
        break;
      case 'alert-delete':
        outcome = await this.alerts.remove(principal.user, request.id);
        break;
    }
    if (outcome !== null && !outcome.ok) {
      this.fanOut.sendError(
        session,
        ERROR_BY_STATUS[outcome.status] ?? ErrorCode.Internal,
        outcome.message,
        request.requestId,
      );
      return;
    }
    const listing = this.alerts.list(principal.user);
    const frame = this.encoder.alerts(this.epoch, {
      requestId: request.requestId,
      ruleId: outcome?.rule.id ?? '',
      ...listing,
    });
    this.fanOut.send(session, frame, 'alerts');
  }
}
