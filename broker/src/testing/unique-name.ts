import { randomBytes } from 'node:crypto';

/**
 * A topic or group name no other test uses, for tests that share one broker per run:
 * `prefix-<time>-<random>`, within Kafka's legal characters and 249-byte limit.
 */
export function uniqueName(prefix: string): string {
  const safe = prefix.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 200);
  return `${safe}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}
