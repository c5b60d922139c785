export interface ConnectRetryOptions {
  brokers: string[];
  /** Give up when Kafka stays unreachable this long (the producer's --connect-timeout). */
  connectTimeoutMs: number;
  log: (line: string) => void;
}

/** An error the CLI turns into exit code 1 with this message. */
export function fatalError(message: string): Error {
  return Object.assign(new Error(message), { exitCode: 1 });
}

/**
 * Runs `connect` until it succeeds, saying each failure and backing off from 250 ms to 5 s; past
 * the connect timeout it throws (exit code 1) with how many attempts over how long. A failure
 * that `giveUpAt` turns into an error (wrong credentials: no retry cures them) is thrown at once.
 */
export async function connectWithRetry(
  options: ConnectRetryOptions,
  connect: () => Promise<void>,
  giveUpAt: (error: unknown) => Error | undefined = () => undefined,
): Promise<void> {
  const kafka = `Kafka at ${options.brokers.join(',')}`;
  const deadline = Date.now() + options.connectTimeoutMs;
  for (let attempt = 1, delay = 250; ; attempt++, delay = Math.min(delay * 2, 5000)) {
    try {
      await connect();
      return;
    } catch (error) {
      const fatal = giveUpAt(error);
      if (fatal) throw fatal;
      const reason = (error as Error).message;
      if (Date.now() + delay > deadline) {
        const attempts = attempt === 1 ? '1 attempt' : `${attempt} attempts`;
        throw fatalError(
          `${kafka} is unreachable after ${attempts} over ${Math.round(options.connectTimeoutMs / 1000)} s: ${reason}`,
        );
      }
      options.log(`${kafka} unreachable (${reason}); retrying in ${delay} ms`);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
