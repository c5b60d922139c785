export { createToken, type TokenCheck, verifyToken } from './auth-token.js';
export { type RunningEdge, startEdge } from './edge.js';
export { defaultEdgeOptions, type EdgeOptions } from './options.js';
