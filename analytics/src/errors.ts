/** Why the analytics job could not be built or started, in words a user can act on. Exit status 1. */
export class AnalyticsError extends Error {
  override readonly name = 'AnalyticsError';
  readonly exitCode: number = 1;
}
