import { type CorrelationMatrixFields, ErrorCode, type ServerFrameEncoder, Timeframe } from '@tickstream/schemas';
import type { CorrelationRequest, CorrelationStore } from './correlations.js';
import type { Session } from './session.js';

/** How the followers reach a client: the fan-out's send (buffer limits, counters). */
export interface CorrelationOutlet {
  send(session: Session, frame: Uint8Array, type: string): void;
  sendError(session: Session, code: ErrorCode, message: string): void;
}

const describe = (request: CorrelationRequest): string =>
  `${request.group || `a set of ${request.symbols.length} symbols`} at ${Timeframe[request.timeframe]}${request.windowBars ? ` over ${request.windowBars} bars` : ''}`;

/**
 * Clients following a correlation matrix (CorrelationSubscribe, one at a time each): the matrix
 * now if the job has written one, and again whenever a newer one arrives. A frame is encoded
 * once per distinct request, whatever the number of clients asking for it.
 */
export class CorrelationFollowers {
  private readonly followers = new Map<Session, CorrelationRequest>();

  constructor(
    private readonly store: CorrelationStore,
    private readonly encoder: ServerFrameEncoder,
    private readonly epoch: number,
    private readonly outlet: CorrelationOutlet,
  ) {}

  get size(): number {
    return this.followers.size;
  }

  /** Replaces what `session` follows; null stops. */
  follow(session: Session, request: CorrelationRequest | null): void {
    if (request === null) {
      this.followers.delete(session);
      return;
    }
    this.followers.set(session, request);
    const matrix = this.store.resolve(request);
    if (matrix === undefined) {
      this.outlet.sendError(
        session,
        ErrorCode.AnalyticsUnavailable,
        `no correlation matrix of ${describe(request)} from the analytics job yet: it comes when the job writes one`,
      );
      return;
    }
    this.outlet.send(session, this.encoder.correlationMatrix(this.epoch, matrix), 'correlation-matrix');
  }

  /** A new matrix from `correlations` (already in the store). */
  arrived(matrix: CorrelationMatrixFields): void {
    const frames = new Map<string, Uint8Array | null>();
    for (const [session, request] of this.followers) {
      if (!this.store.concerns(request, matrix)) continue;
      const key = `${request.group}\u0000${request.symbols.join(',')}\u0000${request.timeframe}\u0000${request.windowBars}`;
      let frame = frames.get(key);
      if (frame === undefined) {
        const resolved = this.store.resolve(request);
        frame = resolved === undefined ? null : this.encoder.correlationMatrix(this.epoch, resolved);
        frames.set(key, frame);
      }
      if (frame !== null) this.outlet.send(session, frame, 'correlation-matrix');
    }
  }

  forget(session: Session): void {
    this.followers.delete(session);
  }
}
