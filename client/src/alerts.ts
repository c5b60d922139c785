import type { AlertRuleFields, AlertsFields } from '@tickstream/schemas';
import type { PendingRequests } from './requests.js';

/**
 * The alert operations over the WebSocket (protocol 2, docs/protocol.md "Alerts"): each request
 * carries an id, and the Alerts frame (or Error) with that id settles its promise. A rule's `id`,
 * `user`, `createdAtMs` and `armedAtMs` are the edge's to set.
 */
export class AlertRequests {
  constructor(private readonly requests: PendingRequests) {}

  /** The user's rules and recent triggers; from then on this connection is sent each trigger. */
  list(): Promise<AlertsFields> {
    return this.requests.request('alerts', (requestId) => ({ type: 'alert-list', requestId }));
  }

  create(rule: Omit<AlertRuleFields, 'id' | 'user' | 'createdAtMs' | 'armedAtMs'>): Promise<AlertsFields> {
    return this.requests.request('alerts', (requestId) => ({
      type: 'alert-create',
      requestId,
      rule: { ...rule, id: '', user: '', createdAtMs: 0, armedAtMs: 0 },
    }));
  }

  update(rule: AlertRuleFields): Promise<AlertsFields> {
    return this.requests.request('alerts', (requestId) => ({ type: 'alert-update', requestId, rule }));
  }

  delete(id: string): Promise<AlertsFields> {
    return this.requests.request('alerts', (requestId) => ({ type: 'alert-delete', requestId, id }));
  }
}
