/**
 * Keeps a long-running command alive until Ctrl-C (SIGINT) or SIGTERM, then runs its
 * clean shutdown once. A second signal during shutdown exits at once. `ended`, when given,
 * is the command finishing by itself (a --duration ran out): exit 0 then too. `shutdown` is told
 * which signal came: an edge drains on SIGTERM (what orchestrators send) and stops at once on Ctrl-C.
 */
export function runUntilSignal(
  shutdown: (signal: NodeJS.Signals) => Promise<unknown>,
  ended?: Promise<unknown>,
): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false;
    void ended?.then(() => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(0);
    });
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        process.stderr.write(`\n${signal} again: exiting without a clean shutdown\n`);
        process.exit(130);
      }
      stopping = true;
      process.stderr.write(`\n${signal}: shutting down cleanly (press Ctrl-C again to force)\n`);
      shutdown(signal).then(
        () => resolve(0),
        (error: unknown) => {
          process.stderr.write(`shutdown failed: ${error instanceof Error ? error.message : String(error)}\n`);
          resolve(1);
        },
      );
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
