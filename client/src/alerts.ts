import type { AlertRuleFields, AlertsFields, ClientMessageFields, ErrorCode } from '@tickstream/schemas';

/** An edge's refusal of a request (Error frame with its request id): `code` says which (docs/protocol.md). */
export class RequestRefused extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'RequestRefused';
  }
}

interface Pending {
  resolve: (alerts: AlertsFields) => void;
  reject: (error: Error) => void;
}

/**
 * The alert operations over the WebSocket (protocol 2, docs/protocol.md "Alerts"): each request
 * carries an id, and the Alerts frame (or Error) with that id settles its promise. A rule's `id`,
 * `user`, `createdAtMs` and `armedAtMs` are the edge's to set.
 */
export class AlertRequests {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly send: (message: ClientMessageFields) => boolean) {}

  /** The user's rules and recent triggers; from then on this connection is sent each trigger. */
  list(): Promise<AlertsFields> {
    return this.request((requestId) => ({ type: 'alert-list', requestId }));
  }

  create(rule: Omit<AlertRuleFields, 'id' | 'user' | 'createdAtMs' | 'armedAtMs'>): Promise<AlertsFields> {
    return this.request((requestId) => ({
      type: 'alert-create',
      requestId,
      rule: { ...rule, id: '', user: '', createdAtMs: 0, armedAtMs: 0 },
    }));
  }

  update(rule: AlertRuleFields): Promise<AlertsFields> {
    return this.request((requestId) => ({ type: 'alert-update', requestId, rule }));
  }

  delete(id: string): Promise<AlertsFields> {
    return this.request((requestId) => ({ type: 'alert-delete', requestId, id }));
  }

  private request(message: (requestId: number) => ClientMessageFields): Promise<AlertsFields> {
    const requestId = this.nextId++;
    return new Promise((resolve, reject) => {
      if (!this.send(message(requestId))) {
        reject(new Error('not connected: the request was not sent'));
        return;
      }
      this.pending.set(requestId, { resolve, reject });
    });
  }

  /** @internal An Alerts frame arrived. */
  answered(alerts: AlertsFields): void {
    const pending = this.pending.get(alerts.requestId);
    this.pending.delete(alerts.requestId);
    pending?.resolve(alerts);
  }

  /** @internal An Error with a request id arrived. */
  refused(requestId: number, code: ErrorCode, message: string): void {
    const pending = this.pending.get(requestId);
    this.pending.delete(requestId);
    pending?.reject(new RequestRefused(code, message));
  }

  /** @internal The connection is gone: no answer will come. */
  failAll(reason: string): void {
    for (const pending of this.pending.values()) pending.reject(new Error(reason));
    this.pending.clear();
  }
}
