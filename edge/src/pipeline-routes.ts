import type { Authenticator } from './auth.js';
import { admitted } from './http-exchange.js';
import type { GuardedRoutes } from './http-guard.js';
import { HISTORY_MS, type PipelineBook, SILENT_AFTER_MS } from './pipeline-book.js';
import { pipelineLinks, pipelinePartitions } from './pipeline-links.js';

export interface PipelineContext {
  auth: Authenticator;
  pipeline: PipelineBook;
}

/**
 * GET /api/pipeline: every component that reports to `system_metrics`, its status and newest
 * figures, the arrows between them and the `ticks` partitions' lag (docs/api.md). GET
 * /api/pipeline/history?id=ID: one component's figures over the last 15 minutes, for sparklines.
 * Both need a viewer's token when auth is on, like every /api route.
 */
export function registerPipelineRoutes(app: GuardedRoutes, context: PipelineContext): void {
  app.get('/api/pipeline', (res, req) =>
    admitted(context.auth, res, req, 'viewer', (exchange) => {
      const components = context.pipeline.view();
      exchange.json(200, {
        components,
        links: pipelineLinks(components),
        partitions: pipelinePartitions(components),
        recoveries: context.pipeline.recoveries(),
        time: new Date().toISOString(),
        silentAfterMs: SILENT_AFTER_MS,
        historyMs: HISTORY_MS,
      });
    }),
  );

  app.get('/api/pipeline/history', (res, req) => {
    const id = req.getQuery('id') ?? '';
    admitted(context.auth, res, req, 'viewer', (exchange) => {
      if (id === '')
        return exchange.error(400, 'say which component: /api/pipeline/history?id=ID (ids: /api/pipeline)');
      const history = context.pipeline.history(id);
      if (history === undefined)
        return exchange.error(404, `no component '${id}' has reported in the last 15 minutes (ids: /api/pipeline)`);
      exchange.json(200, history);
    });
  });
}
