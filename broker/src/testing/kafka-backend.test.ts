import { describe, expect, it } from 'vitest';
import { selectedBackend, uniqueName } from './kafka-backend.js';

describe('test backend selection', () => {
  it('defaults to the embedded broker and accepts apache', () => {
    expect(selectedBackend({})).toBe('embedded');
    expect(selectedBackend({ KAFKA_BACKEND: 'apache' })).toBe('apache');
  });

  it('refuses an unknown backend instead of silently picking one', () => {
    expect(() => selectedBackend({ KAFKA_BACKEND: 'confluent' })).toThrow(
      'KAFKA_BACKEND must be "embedded" or "apache", not "confluent".',
    );
  });

  it('makes distinct, Kafka-legal names', () => {
    const names = new Set(Array.from({ length: 100 }, () => uniqueName('ticks for/AAPL')));
    expect(names.size).toBe(100);
    for (const name of names) expect(name).toMatch(/^ticks_for_AAPL-[a-z0-9]+-[0-9a-f]{8}$/);
  });
});
