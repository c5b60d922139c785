import {
  CHAOS_ACTIONS,
  type ChaosRequest,
  type ControlWriter,
  chaosCommandFrom,
  EPISODE_SCENARIOS,
} from '@tickstream/schemas/control-command';
import type { Authenticator } from './auth.js';
import type { Principal } from './auth-token.js';
import { admitted, HttpExchange, MAX_BODY_BYTES } from './http-exchange.js';
import type { GuardedRoutes } from './http-guard.js';

export interface ChaosContext {
  auth: Authenticator;
  /** Signs (with the edge's --auth-secret) and writes commands on `control`; null without a secret. */
  control: { secret: string; writer: ControlWriter } | null;
}

/** Why an admin of this edge cannot inject anything: it has no secret to sign commands with. */
const NO_SECRET =
  'this edge has no --auth-secret to sign commands with (producers and tickstream up obey only commands signed with it): start the edges with --auth-secret, or use tickstream chaos --secret';

/**
 * GET /api/chaos: the actions of `tickstream chaos` and whether the caller may inject them.
 * POST /api/chaos: injects one, for an admin only (docs/api.md): the command is checked by the same
 * code as the CLI's, signed for the admin as the caller, and written to `control`, where the
 * producers and the `up` supervisor obey it and audit it on `market_events` as they do any
 * command. A viewer or trader is refused here, and nothing is written.
 */
export function registerChaosRoutes(app: GuardedRoutes, context: ChaosContext): void {
  app.get('/api/chaos', (res, req) =>
    admitted(context.auth, res, req, 'viewer', (exchange, principal) => {
      const refusal = refusalFor(principal, context);
      exchange.json(200, {
        actions: CHAOS_ACTIONS,
        scenarios: EPISODE_SCENARIOS,
        mayInject: refusal === null,
        ...(refusal === null ? {} : { why: refusal }),
      });
    }),
  );

  app.post('/api/chaos', (res, req) => {
    const exchange = new HttpExchange(res);
    const body = exchange.readJson(MAX_BODY_BYTES);
    admitted(
      context.auth,
      res,
      req,
      'viewer',
      async (_, principal) => {
        const read = await body;
        const refusal = refusalFor(principal, context);
        if (refusal !== null) return exchange.error(principal.role === 'admin' ? 409 : 403, refusal);
        if (!read.ok) return exchange.error(read.status, read.message);
        if (typeof read.value !== 'object' || read.value === null || Array.isArray(read.value))
          return exchange.error(400, 'send a JSON object: {"action":"pause","target":null,"forMs":10000}');
        const checked = chaosCommandFrom(read.value as ChaosRequest);
        if (!checked.ok) return exchange.error(400, checked.message);
        const control = context.control as NonNullable<ChaosContext['control']>;
        try {
          await control.writer.send(control.secret, principal.user, checked.command);
        } catch (error) {
          return exchange.error(
            503,
            `Kafka did not take the command (${(error as Error).message}); nothing was injected`,
          );
        }
        exchange.json(202, { sent: checked.command, by: principal.user });
      },
      exchange,
    );
  });
}

/** Why `principal` may not inject failures here; null when they may. */
function refusalFor(principal: Principal, context: ChaosContext): string | null {
  if (principal.role !== 'admin')
    return `user ${principal.user} has role ${principal.role}: only an admin may inject failures`;
  return context.control === null ? NO_SECRET : null;
}
