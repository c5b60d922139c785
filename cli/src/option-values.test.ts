import { describe, expect, it } from 'vitest';
import { parseBytes, parseChoice, parseDurationMs, parseInteger, parseShare } from './option-values.js';
import { UsageError } from './usage-error.js';

describe('flag value parsers', () => {
  it('parses durations with units, bare milliseconds and -1', () => {
    expect(parseDurationMs('retention-ms', '500ms')).toBe(500);
    expect(parseDurationMs('retention-ms', '1.5s')).toBe(1500);
    expect(parseDurationMs('retention-ms', '7d')).toBe(604_800_000);
    expect(parseDurationMs('retention-ms', '250')).toBe(250);
    expect(parseDurationMs('retention-ms', '-1')).toBe(-1);
    expect(() => parseDurationMs('retention-ms', '1 week')).toThrow(UsageError);
  });

  it('parses sizes in decimal and binary units', () => {
    expect(parseBytes('retention-bytes', '1GB')).toBe(1e9);
    expect(parseBytes('retention-bytes', '512MiB')).toBe(512 * 1024 * 1024);
    expect(parseBytes('retention-bytes', '4096')).toBe(4096);
    expect(() => parseBytes('retention-bytes', '12 parsecs')).toThrow(/--retention-bytes must be a size/);
  });

  it('rejects integers out of range or with junk', () => {
    expect(parseInteger('nodes', '3', { min: 1, max: 3 })).toBe(3);
    expect(() => parseInteger('nodes', '4', { min: 1, max: 3 })).toThrow('--nodes must be between 1 and 3, got 4');
    expect(() => parseInteger('nodes', '2x', { min: 1, max: 3 })).toThrow("--nodes must be an integer, got '2x'");
  });

  it('parses shares above 0 and at most 1', () => {
    expect(parseShare('log-cleaner-duty-cycle', '0.25')).toBe(0.25);
    expect(parseShare('log-cleaner-duty-cycle', '1')).toBe(1);
    for (const bad of ['0', '1.5', '-0.1', 'half', '']) {
      expect(() => parseShare('log-cleaner-duty-cycle', bad)).toThrow(
        /--log-cleaner-duty-cycle must be a number above 0/,
      );
    }
  });

  it('accepts only listed choices', () => {
    expect(parseChoice('kafka', 'apache', ['embedded', 'apache'] as const)).toBe('apache');
    expect(() => parseChoice('kafka', 'confluent', ['embedded', 'apache'] as const)).toThrow(
      "--kafka must be one of embedded, apache, got 'confluent'",
    );
  });
});
