/** Why a frame was rejected. Stable strings: clients and tests match on them. */
export type ProtocolErrorCode =
  | 'empty-frame'
  | 'unsupported-version'
  | 'unknown-flags'
  | 'frame-too-large'
  | 'decompression-failed'
  | 'malformed-flatbuffer'
  | 'unknown-message'
  | 'invalid-field';

/**
 * The only error a decoder throws. Any byte sequence, however hostile, ends in a value or a
 * ProtocolError; never another exception, a hang, or an allocation sized by the input.
 */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';

  constructor(
    readonly code: ProtocolErrorCode,
    message: string,
  ) {
    super(message);
  }
}
