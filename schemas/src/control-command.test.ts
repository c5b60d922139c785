import { describe, expect, it } from 'vitest';
import { type ChaosCommand, chaosCommandFrom, signControlCommand, verifyControlCommand } from './control-command.js';

const SECRET = 'control-test-secret';
const pause: ChaosCommand = { action: 'pause', target: 'producer-a', forMs: 10_000, factor: null };

describe('control commands', () => {
  it('verify when signed with the secret for the admin role', async () => {
    const token = await signControlCommand({ secret: SECRET, user: 'ops', role: 'admin', command: pause });
    expect(await verifyControlCommand(token, SECRET)).toMatchObject({ ok: true, user: 'ops', command: pause });
  });

  it('are refused for a viewer or a trader, another secret, an expired or an edited command', async () => {
    for (const role of ['viewer', 'trader']) {
      const token = await signControlCommand({ secret: SECRET, user: 'bob', role, command: pause });
      expect(await verifyControlCommand(token, SECRET)).toEqual({
        ok: false,
        user: 'bob',
        action: 'pause',
        reason: `role ${role} may not inject failures (admin only)`,
      });
    }
    const foreign = await signControlCommand({ secret: 'other', user: 'eve', role: 'admin', command: pause });
    expect(await verifyControlCommand(foreign, SECRET)).toMatchObject({
      ok: false,
      reason: expect.stringContaining('signature'),
    });
    const old = await signControlCommand({
      secret: SECRET,
      user: 'ops',
      role: 'admin',
      command: pause,
      nowMs: Date.now() - 120_000,
    });
    expect(await verifyControlCommand(old, SECRET)).toMatchObject({ ok: false, reason: 'the command expired' });
    // The command is inside the signature: a burst edited into the token no longer verifies.
    const [header, payload, signature] = (
      await signControlCommand({ secret: SECRET, user: 'ops', role: 'admin', command: pause })
    ).split('.');
    const claims = JSON.parse(Buffer.from(payload as string, 'base64url').toString()) as Record<string, unknown>;
    claims.chaos = { ...pause, action: 'burst', factor: 100 };
    const edited = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
    expect(await verifyControlCommand(edited, SECRET)).toMatchObject({ ok: false });
    expect(await verifyControlCommand('not a token', SECRET)).toMatchObject({ ok: false });
  });

  it('are refused when the command itself is out of range, even from an admin', async () => {
    const huge = { action: 'burst', target: null, forMs: 1000, factor: 1e6 } as unknown as ChaosCommand;
    const token = await signControlCommand({ secret: SECRET, user: 'ops', role: 'admin', command: huge });
    expect(await verifyControlCommand(token, SECRET)).toMatchObject({
      ok: false,
      reason: 'the chaos claim is not a valid command',
    });
  });

  it('carry a scenario to play, and only with the scenario action', async () => {
    const crash: ChaosCommand = {
      action: 'scenario',
      target: null,
      forMs: 5000,
      factor: null,
      scenario: 'flash-crash',
    };
    const token = await signControlCommand({ secret: SECRET, user: 'ops', role: 'admin', command: crash });
    expect(await verifyControlCommand(token, SECRET)).toMatchObject({ ok: true, command: crash });
    for (const bad of [
      { ...crash, scenario: 'meltdown' },
      { ...crash, scenario: null },
      { ...pause, scenario: 'halt' },
    ]) {
      const signed = await signControlCommand({
        secret: SECRET,
        user: 'ops',
        role: 'admin',
        command: bad as ChaosCommand,
      });
      expect(await verifyControlCommand(signed, SECRET)).toMatchObject({ ok: false });
    }
  });
});

describe('chaosCommandFrom (tickstream chaos and POST /api/chaos)', () => {
  it('builds the command asked for', () => {
    expect(chaosCommandFrom({ action: 'burst', factor: 3, forMs: 2000 })).toEqual({
      ok: true,
      command: { action: 'burst', target: null, forMs: 2000, factor: 3 },
    });
    expect(chaosCommandFrom({ action: 'scenario', scenario: 'halt', target: 'producer-a' })).toEqual({
      ok: true,
      command: { action: 'scenario', target: 'producer-a', forMs: null, factor: null, scenario: 'halt' },
    });
    expect(chaosCommandFrom({ action: 'slow-consumer', forMs: 4000 })).toMatchObject({ ok: true });
  });

  it('says what is wrong, naming the field as the caller knows it', () => {
    const refusal = (request: Parameters<typeof chaosCommandFrom>[0]) => {
      const checked = chaosCommandFrom(request);
      return checked.ok ? '' : checked.message;
    };
    expect(refusal({ action: 'explode' })).toMatch(/^unknown action 'explode'; the actions are pause, resume/);
    expect(refusal({ action: undefined })).toMatch(/^say which action: pause/);
    expect(refusal({ action: 'kill-edge', forMs: 5000 })).toBe('kill-edge takes no forMs');
    expect(refusal({ action: 'pause', factor: 2 })).toBe('factor is for burst only');
    expect(refusal({ action: 'burst', factor: 'lots' })).toBe("factor must be a number from 1 to 100, got 'lots'");
    expect(refusal({ action: 'delay-link', delayMs: 61_000 })).toBe('delayMs must be from 0 to 60s');
    expect(refusal({ action: 'scenario' })).toBe(
      'scenario needs scenario: one of burst, flash-crash, halt, news-spike, selloff',
    );
    expect(refusal({ action: 'scenario', scenario: 'normal' })).toMatch(/^unknown scenario 'normal'/);
    expect(refusal({ action: 'pause', forMs: 0.5 })).toBe('forMs must be a duration of at least 1 ms');
    expect(refusal({ action: 'pause', target: 7 })).toBe('target must be a component id as GET /api/pipeline lists it');
    const flags = chaosCommandFrom({ action: 'resume', forMs: 1000 }, (field) => `--${field}`);
    expect(flags).toEqual({ ok: false, message: 'resume takes no --forMs' });
  });
});
