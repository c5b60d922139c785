/** A reason the edge cannot start that the user can act on; the CLI prints it and exits 1, no stack. */
export class EdgeStartError extends Error {
  readonly exitCode = 1;
}
