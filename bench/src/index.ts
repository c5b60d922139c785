export { type CodecBenchResult, runCodecBench } from './codec.js';
export { median, medianOf } from './stats.js';
