/** Why Apache Kafka could not be started or resolved, in words a user can act on. */
export class ApacheKafkaError extends Error {
  override readonly name: string = 'ApacheKafkaError';
  /** Exit status for the CLI: 1 for a runtime failure. */
  readonly exitCode: number = 1;
}

/**
 * A required program (Java 17+, Maven) is missing. The CLI exits 2 and names what to install;
 * there is deliberately no fallback to the embedded broker.
 */
export class MissingPrerequisiteError extends ApacheKafkaError {
  override readonly name = 'MissingPrerequisiteError';
  override readonly exitCode = 2;
  constructor(
    readonly program: 'java' | 'mvn',
    message: string,
  ) {
    super(message);
  }
}
