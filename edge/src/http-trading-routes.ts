import type { Authenticator } from './auth.js';
import { admitted, HttpExchange, MAX_BODY_BYTES } from './http-exchange.js';
import type { GuardedRoutes } from './http-guard.js';
import { requestOf } from './request-log.js';
import { fillJson, fillsCsv, orderJson } from './trading-json.js';
import { logOrderPlacement, type TradingService } from './trading-service.js';

/**
 * /api/orders (GET, POST), /api/orders/{id} (DELETE), /api/fills (JSON or ?format=csv) and
 * /api/portfolio (docs/api.md): the caller's own orders, fills and portfolio only. Reading needs
 * a viewer's token, placing and cancelling a trader's.
 */
export function registerTradingRoutes(app: GuardedRoutes, auth: Authenticator, trading: TradingService): void {
  const loading = (exchange: HttpExchange): boolean => {
    if (trading.ready) return false;
    exchange.error(503, 'edge is loading orders from Kafka; retry shortly');
    return true;
  };

  app.get('/api/orders', (res, req) =>
    admitted(auth, res, req, 'viewer', (exchange, principal) => {
      if (!loading(exchange)) exchange.json(200, { orders: trading.orders(principal.user).map(orderJson) });
    }),
  );

  app.post('/api/orders', (res, req) => {
    const exchange = new HttpExchange(res);
    const body = exchange.readJson(MAX_BODY_BYTES);
    admitted(
      auth,
      res,
      req,
      'trader',
      async (_, principal) => {
        const read = await body;
        if (!read.ok) return exchange.error(read.status, read.message);
        const outcome = await trading.place(principal.user, read.value);
        const request = requestOf(res);
        if (request) logOrderPlacement(request.logger, outcome);
        if (!outcome.ok) return exchange.error(outcome.status, outcome.message);
        exchange.json(outcome.status, orderJson(outcome.entry));
      },
      exchange,
    );
  });

  app.del('/api/orders/:id', (res, req) => {
    const id = req.getParameter(0) ?? '';
    admitted(auth, res, req, 'trader', async (exchange, principal) => {
      const outcome = await trading.cancel(principal.user, decodeURIComponent(id));
      if (!outcome.ok) return exchange.error(outcome.status, outcome.message);
      exchange.json(outcome.status, orderJson(outcome.entry));
    });
  });

  app.get('/api/fills', (res, req) => {
    const format = req.getQuery('format') ?? 'json';
    admitted(auth, res, req, 'viewer', (exchange, principal) => {
      if (loading(exchange)) return;
      const fills = trading.fills(principal.user);
      if (format === 'json') return exchange.json(200, { fills: fills.map(fillJson) });
      if (format !== 'csv') return exchange.error(400, `format must be json or csv; got ${JSON.stringify(format)}`);
      exchange.reply(200, 'text/csv; charset=utf-8', fillsCsv(fills), [
        ['Content-Disposition', `attachment; filename="fills-${principal.user.replace(/[^\w.-]/g, '_')}.csv"`],
      ]);
    });
  });

  app.get('/api/portfolio', (res, req) =>
    admitted(auth, res, req, 'viewer', (exchange, principal) => {
      if (!loading(exchange)) exchange.json(200, trading.portfolioJson(principal.user));
    }),
  );
}
