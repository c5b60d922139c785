import type { Logger } from '@tickstream/schemas/logger';

/**
 * Keeps a long-running command alive until Ctrl-C (SIGINT) or SIGTERM, then runs its
 * clean shutdown once. A second signal during shutdown exits at once. `ended`, when given,
 * is the command finishing by itself (a --duration ran out): exit 0 then too. `shutdown` is told
 * which signal came: an edge drains on SIGTERM (what orchestrators send) and stops at once on Ctrl-C.
 */
export function runUntilSignal(
  shutdown: (signal: NodeJS.Signals) => Promise<unknown>,
  ended?: Promise<unknown>,
  logger?: Logger,
): Promise<number> {
  // A tier's own log when it has one (a JSON line, like the rest of its output); plain stderr otherwise.
  const say = (level: 'info' | 'warn' | 'error', line: string): void => {
    if (logger) logger[level](line);
    else process.stderr.write(`\n${line}\n`);
  };
  return new Promise((resolve) => {
    let stopping = false;
    void ended?.then(() => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(0);
    });
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        say('warn', `${signal} again: exiting without a clean shutdown`);
        process.exit(130);
      }
      stopping = true;
      say('info', `${signal}: shutting down cleanly (press Ctrl-C again to force)`);
      shutdown(signal).then(
        () => resolve(0),
        (error: unknown) => {
          say('error', `shutdown failed: ${error instanceof Error ? error.message : String(error)}`);
          resolve(1);
        },
      );
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
