/** How long a shutdown waits for Kafka to answer a disconnect. */
export const DISCONNECT_TIMEOUT_MS = 3000;

/**
 * Waits for Kafka clients to stop, but at most `timeoutMs`: with Kafka unreachable, kafkajs'
 * disconnect can wait on its own reconnect loop for a long time, and a shutdown must not. Resolves
 * true when every stop settled in time, false when it gave up waiting.
 */
export async function disconnectWithin(
  stops: readonly (Promise<unknown> | undefined)[],
  timeoutMs = DISCONNECT_TIMEOUT_MS,
): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  const settled = Promise.allSettled(stops).then(() => true as const);
  try {
    return await Promise.race([settled, gaveUp]);
  } finally {
    clearTimeout(timer);
  }
}
