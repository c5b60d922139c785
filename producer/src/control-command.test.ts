import { describe, expect, it } from 'vitest';
import { type ChaosCommand, signControlCommand, verifyControlCommand } from './control-command.js';

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
});
