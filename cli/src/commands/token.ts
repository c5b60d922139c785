import { createToken, isRole, ROLES } from '@tickstream/edge';
import type { Command } from '../command.js';
import { parseDurationMs } from '../option-values.js';
import { UsageError } from '../usage-error.js';

export const tokenCommand: Command = {
  name: 'token',
  summary:
    'Print a JWT (HS256) for an edge started with --auth-secret: Authorization: Bearer <jwt>, or ws://…/ws?token=<jwt>.',
  flags: {
    secret: { type: 'string', value: 'SECRET', description: 'the edge’s --auth-secret (env TICKSTREAM_AUTH_SECRET)' },
    user: { type: 'string', value: 'NAME', description: 'who the token is for (the sub claim)', default: 'dashboard' },
    role: {
      type: 'string',
      value: ROLES.join('|'),
      description: 'what the token may do (the role claim)',
      default: 'viewer',
    },
    ttl: { type: 'string', value: 'DURATION', description: 'how long the token stays valid', default: '1h' },
    subject: { type: 'string', value: 'NAME', description: 'the same as --user (kept for older scripts)' },
  },
  notes: 'Example: tickstream token --secret "$SECRET" --user alice --role trader --ttl 8h',
  async run(flags) {
    const secret = flags.string('secret') ?? process.env.TICKSTREAM_AUTH_SECRET;
    if (!secret) throw new UsageError('--secret is required (or set TICKSTREAM_AUTH_SECRET)');
    const ttlMs = parseDurationMs('ttl', flags.required('ttl'));
    if (ttlMs < 1000) throw new UsageError('--ttl must be at least 1s');
    const role = flags.required('role');
    if (!isRole(role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}, got '${role}'`);
    const user = flags.string('subject') ?? flags.required('user');
    if (user === '') throw new UsageError('--user must name someone');
    process.stdout.write(`${await createToken({ secret, user, role, ttlSeconds: Math.round(ttlMs / 1000) })}\n`);
    return 0;
  },
};
