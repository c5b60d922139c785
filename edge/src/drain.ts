/** How often, at the most, a draining edge closes its next share of clients. */
const DRAIN_STEP_MS = 50;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Closes `clients` in equal shares spread evenly over `windowMs`, so the edges that take them
 * over get a steady stream of reconnects instead of all at once. Clients that leave by
 * themselves in the meantime are skipped; resolves when every one has been asked to close.
 */
export async function closeSpread<T>(clients: Set<T>, windowMs: number, close: (client: T) => void): Promise<void> {
  const order = [...clients];
  const shares = Math.max(1, Math.min(order.length, Math.floor(windowMs / DRAIN_STEP_MS)));
  const share = Math.ceil(order.length / shares);
  const intervalMs = windowMs / Math.ceil(order.length / share);
  for (let next = 0; next < order.length; next += share) {
    for (const client of order.slice(next, next + share)) if (clients.has(client)) close(client);
    if (next + share < order.length) await sleep(intervalMs);
  }
}
