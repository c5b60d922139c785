import type {
  AlertsFields,
  ClientMessageFields,
  ErrorCode,
  OrdersFields,
  PortfolioStateFields,
} from '@tickstream/schemas';

/** An edge's refusal of a request (Error frame with its request id): `code` says which (docs/protocol.md, "Errors"). */
export class RequestRefused extends Error {
  constructor(
    readonly code: ErrorCode,
    /** The edge's sentence, as it sent it (`unknown symbol "NOPE"`). */
    message: string,
  ) {
    super(message);
    this.name = 'RequestRefused';
  }
}

/** What answers each kind of request: the frame that carries its request id back. */
export interface Answers {
  alerts: AlertsFields;
  orders: OrdersFields;
  portfolio: PortfolioStateFields;
}

interface Pending {
  kind: keyof Answers;
  resolve: (answer: Answers[keyof Answers]) => void;
  reject: (error: Error) => void;
}

/** Request ids are a uint of the wire; 0 is "no request" (a push, or the client's own re-follow on Hello). */
const MAX_REQUEST_ID = 0xffff_ffff;

/**
 * The requests of one client that the edge answers by id (alerts, protocol 2; orders and the
 * portfolio, protocol 3): one id space for all, so an Error frame's `request_id` names exactly
 * one request, whatever it was. Each request's promise settles with its answer frame, a
 * RequestRefused on an Error with its id, or an Error when the connection goes before an answer.
 */
export class PendingRequests {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly send: (message: ClientMessageFields) => boolean) {}

  request<K extends keyof Answers>(kind: K, message: (requestId: number) => ClientMessageFields): Promise<Answers[K]> {
    const requestId = this.nextId;
    this.nextId = this.nextId === MAX_REQUEST_ID ? 1 : this.nextId + 1;
    return new Promise((resolve, reject) => {
      if (!this.send(message(requestId))) {
        reject(new Error('not connected: the request was not sent'));
        return;
      }
      this.pending.set(requestId, { kind, resolve: resolve as Pending['resolve'], reject });
    });
  }

  /** @internal An answer frame with a request id arrived (0: a push, no request's). */
  answered<K extends keyof Answers>(kind: K, requestId: number, answer: Answers[K]): void {
    const pending = this.pending.get(requestId);
    if (pending === undefined || pending.kind !== kind) return;
    this.pending.delete(requestId);
    pending.resolve(answer);
  }

  /** @internal An Error with a request id arrived. */
  refused(requestId: number, code: ErrorCode, message: string): void {
    const pending = this.pending.get(requestId);
    this.pending.delete(requestId);
    pending?.reject(new RequestRefused(code, message));
  }

  /** @internal The connection is gone: no answer will come to what was asked on it. */
  failAll(reason: string): void {
    for (const pending of this.pending.values()) pending.reject(new Error(reason));
    this.pending.clear();
  }
}
