import { describe, expect, it } from 'vitest';
import { parseBaselineArgs } from './baseline.js';

describe('bench baseline options', () => {
  it('takes runs, seconds, clients, rate and symbols per client', () => {
    expect(
      parseBaselineArgs([
        '--runs',
        '3',
        '--seconds',
        '8',
        '--clients',
        '1000',
        '--rate',
        '5000',
        '--symbols-per-client',
        '1000',
      ]),
    ).toEqual({
      runs: 3,
      seconds: 8,
      clients: 1000,
      rate: 5000,
      symbolsPerClient: 1000,
    });
    expect(parseBaselineArgs([])).toEqual({});
  });

  it('refuses an unknown option or a bad value with the usage', () => {
    expect(parseBaselineArgs(['--symbols', '10'])).toMatch(/unknown option '--symbols'\nusage: /);
    expect(parseBaselineArgs(['--runs', '0'])).toMatch(/--runs needs a positive integer/);
    expect(parseBaselineArgs(['--rate'])).toMatch(/--rate needs a positive integer/);
    expect(parseBaselineArgs(['--symbols-per-client', '1001'])).toMatch(
      /--symbols-per-client is at most the 1,000 symbols/,
    );
  });
});
