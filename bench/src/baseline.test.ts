import { describe, expect, it } from 'vitest';
import { parseBaselineArgs } from './baseline.js';

describe('bench baseline options', () => {
  it('takes runs, seconds, clients and rate', () => {
    expect(parseBaselineArgs(['--runs', '3', '--seconds', '8', '--clients', '1000', '--rate', '5000'])).toEqual({
      runs: 3,
      seconds: 8,
      clients: 1000,
      rate: 5000,
    });
    expect(parseBaselineArgs([])).toEqual({});
  });

  it('refuses an unknown option or a bad value with the usage', () => {
    expect(parseBaselineArgs(['--symbols', '10'])).toMatch(/unknown option '--symbols'\nusage: /);
    expect(parseBaselineArgs(['--runs', '0'])).toMatch(/--runs needs a positive integer/);
    expect(parseBaselineArgs(['--rate'])).toMatch(/--rate needs a positive integer/);
  });
});
