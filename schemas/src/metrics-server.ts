import { createServer } from 'node:http';

export interface MetricsServerOptions {
  host: string;
  /** 0 picks a free port; `port` on the result tells which. */
  port: number;
  /** The Prometheus text and its content type (prom-client's `registry.metrics()`, `registry.contentType`). */
  render: () => Promise<{ contentType: string; text: string }>;
  /** /readyz: null when ready, else why not (e.g. Kafka unreachable). */
  notReady: () => string | null;
}

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

/**
 * The small HTTP server of a tier that has no HTTP of its own (the producer, the broker):
 * GET /metrics (Prometheus text), /livez (the process answers) and /readyz (503 with the reason
 * while not ready). Anything else is 404; only GET and HEAD are answered.
 */
export function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    const send = (status: number, type: string, body: string): void => {
      response.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store' }).end(body);
    };
    if (request.method !== 'GET' && request.method !== 'HEAD') return send(405, 'text/plain', 'GET only\n');
    if (path === '/livez') return send(200, 'application/json', '{"ok":true,"status":"alive"}');
    if (path === '/readyz') {
      const reason = options.notReady();
      return send(reason === null ? 200 : 503, 'application/json', JSON.stringify({ ok: reason === null, reason }));
    }
    if (path !== '/metrics') return send(404, 'text/plain', 'not found: try /metrics, /livez or /readyz\n');
    options.render().then(
      ({ contentType, text }) => send(200, contentType, text),
      (error: Error) => send(500, 'text/plain', `metrics failed: ${error.message}\n`),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new Error(
          `the metrics server could not listen on ${options.host}:${options.port} (${error.code ?? error.message}): is the port in use?`,
        ),
      ),
    );
    server.listen(options.port, options.host, () => {
      const address = server.address();
      resolve({
        port: typeof address === 'object' && address ? address.port : options.port,
        close: () =>
          new Promise((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
