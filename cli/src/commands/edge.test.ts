import { describe, expect, it } from 'vitest';
import { UsageError } from '../usage-error.js';
import { parseBarsKept } from './edge.js';

describe('tickstream edge --candle-bars', () => {
  it('changes the timeframes named and keeps the defaults of the others', () => {
    expect(parseBarsKept(undefined)).toEqual([900, 1440, 576, 480, 336, 180, 365]);
    expect(parseBarsKept('1m=2880, 1d=730')).toEqual([900, 2880, 576, 480, 336, 180, 730]);
  });

  it('names what is wrong with a bad value', () => {
    expect(() => parseBarsKept('2m=10')).toThrow(UsageError);
    expect(() => parseBarsKept('2m=10')).toThrow(
      "--candle-bars takes TF=N pairs with TF one of 1s, 1m, 5m, 15m, 1h, 4h, 1d; got '2m=10'",
    );
    expect(() => parseBarsKept('1m')).toThrow(UsageError);
    expect(() => parseBarsKept('1m=1')).toThrow(UsageError);
  });
});
