// Replaced by the log (storage) implementation.
export interface LogManager {}
