export { ErrorCode, MalformedRequestError } from './errors.js';
export { Reader } from './reader.js';
export { Writer } from './writer.js';
