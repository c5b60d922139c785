import { createToken } from '@tickstream/edge';
import type { Command } from '../command.js';
import { parseDurationMs } from '../option-values.js';
import { UsageError } from '../usage-error.js';

export const tokenCommand: Command = {
  name: 'token',
  summary: 'Print a client token for an edge started with --auth-secret (pass it as ws://…/ws?token=…).',
  flags: {
    secret: { type: 'string', value: 'SECRET', description: 'the edge’s --auth-secret (env TICKSTREAM_AUTH_SECRET)' },
    ttl: { type: 'string', value: 'DURATION', description: 'how long the token stays valid', default: '1h' },
    subject: { type: 'string', value: 'NAME', description: 'who the token is for', default: 'dashboard' },
  },
  async run(flags) {
    const secret = flags.string('secret') ?? process.env.TICKSTREAM_AUTH_SECRET;
    if (!secret) throw new UsageError('--secret is required (or set TICKSTREAM_AUTH_SECRET)');
    const ttlMs = parseDurationMs('ttl', flags.required('ttl'));
    if (ttlMs < 1000) throw new UsageError('--ttl must be at least 1s');
    process.stdout.write(`${createToken(secret, Math.round(ttlMs / 1000), flags.required('subject'))}\n`);
    return 0;
  },
};
