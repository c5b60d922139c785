import { describe, expect, it } from 'vitest';
import { ProtocolError } from './protocol-error.js';
import { decodeSystemMetric, SystemMetricEncoder } from './system-metrics-codec.js';

/** A SystemMetric record whose first figure's name length is made to reach past the buffer. */
function recordWithLongName(): { bytes: Uint8Array; at: number } {
  const bytes = new SystemMetricEncoder().encode({
    componentId: 'edge-e1',
    kind: 'edge',
    timeUs: 1_700_000_000_000_000,
    intervalMs: 1000,
    problem: '',
    host: 'h',
    pid: 1,
    figures: [{ name: 'ticks_per_s', label: '', value: 5000 }],
  });
  const at = Buffer.from(bytes).indexOf('ticks_per_s') - 4;
  new DataView(bytes.buffer, bytes.byteOffset).setUint32(at, 1000, true);
  return { bytes, at };
}

describe('FlatBuffers verification', () => {
  it('names the table, field and length that reach outside the buffer, in a message put together only then', () => {
    const { bytes, at } = recordWithLongName();
    expect(() => decodeSystemMetric(bytes)).toThrow(ProtocolError);
    expect(() => decodeSystemMetric(bytes)).toThrow(
      `MetricFigure field 0 string of 1000 at ${at + 4} (+1001) lies outside the ${bytes.length}-byte buffer`,
    );
  });
});
