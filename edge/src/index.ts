export { createToken, type TokenCheck, verifyToken } from './auth-token.js';
export { parseAddressList } from './client-limits.js';
export { type RunningEdge, startEdge } from './edge.js';
export { defaultEdgeGroupOptions, type EdgeGroup, type EdgeGroupOptions, startEdgeGroup } from './edge-group.js';
export { HaproxyMissingError, haproxyVersion, localBalancerConfig } from './haproxy.js';
export { defaultEdgeOptions, type EdgeOptions } from './options.js';
export { checkTlsFiles, type TlsFiles } from './tls.js';
