import { describe, expect, it } from 'vitest';
import { type RecoveryRecord, recoveryTimelines } from './recovery-timeline.js';

const injected: RecoveryRecord = {
  id: 'recovery-1',
  fault: 'cut-link',
  target: 'edge-a',
  injectedAt: '2026-12-07T00:00:00.000Z',
  detectedAt: null,
  detectedBy: '',
  recoveredAt: null,
  recoveredBy: '',
  detectedAfterMs: null,
  recoveredAfterMs: null,
  lost: null,
  detail: '',
};

describe('recoveryTimelines', () => {
  it('shows each fault at the last step it reached, newest first, with who saw each step', () => {
    const detected = {
      ...injected,
      id: 'recovery-2',
      detectedAt: '2026-12-07T00:00:03.100Z',
      detectedAfterMs: 3100,
      detectedBy: '/health 503',
    };
    const recovered = {
      ...detected,
      id: 'recovery-3',
      recoveredAt: '2026-12-07T00:00:12.345Z',
      recoveredAfterMs: 12_345,
      recoveredBy: '/health 200',
      lost: 0,
    };
    const [third, second, first] = recoveryTimelines([injected, detected, recovered]);
    expect([first?.stage, second?.stage, third?.stage]).toEqual(['injected', 'detected', 'recovered']);
    expect(first?.steps.map((step) => step.reached)).toEqual([true, false, false]);
    expect(first?.lost).toBe('not checked');
    expect(third?.title).toBe('cut-link on edge-a');
    expect(third?.steps[1]).toMatchObject({ reached: true, after: '+3,100 ms', by: '/health 503' });
    expect(third?.steps[2]).toMatchObject({ reached: true, after: '+12,345 ms', by: '/health 200' });
    expect(third?.lost).toBe('0 lost');
  });
});
