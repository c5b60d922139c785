import { type KafkaSecurity, KafkaSecurityError, kafkaSecurityFromEnv } from '@tickstream/schemas/kafka-security';
import { UsageError } from './usage-error.js';

/**
 * Turns flag strings into typed values. Each parser names the flag in its error, so a user
 * reads exactly which flag was wrong and what it accepts.
 */

export function parseInteger(flag: string, raw: string, range: { min: number; max: number }): number {
  if (!/^-?\d+$/.test(raw.trim())) throw new UsageError(`--${flag} must be an integer, got '${raw}'`);
  const value = Number(raw);
  if (value < range.min || value > range.max) {
    throw new UsageError(`--${flag} must be between ${range.min} and ${range.max}, got ${raw}`);
  }
  return value;
}

/** A share such as 0.25: above 0, at most 1. */
export function parseShare(flag: string, raw: string): number {
  const value = Number(raw.trim());
  if (raw.trim() === '' || !Number.isFinite(value) || value <= 0 || value > 1) {
    throw new UsageError(`--${flag} must be a number above 0 and at most 1, such as 0.25, got '${raw}'`);
  }
  return value;
}

export function parsePort(flag: string, raw: string): number {
  return parseInteger(flag, raw, { min: 0, max: 65_535 });
}

const durationUnits: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "500ms", "30s", "15m", "1h", "7d"; a bare number is milliseconds; "-1" means unlimited. */
export function parseDurationMs(flag: string, raw: string): number {
  if (raw.trim() === '-1') return -1;
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(raw.trim());
  if (!match) throw new UsageError(`--${flag} must be a duration such as 500ms, 30s, 15m, 1h or 7d, got '${raw}'`);
  return Math.round(Number(match[1]) * (durationUnits[match[2] ?? 'ms'] ?? 1));
}

const byteUnits: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};

/** "1048576", "512MiB", "1GB"; "-1" means unlimited. */
export function parseBytes(flag: string, raw: string): number {
  if (raw.trim() === '-1') return -1;
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(raw.trim());
  const unit = byteUnits[(match?.[2] || 'b').toLowerCase()];
  if (!match || unit === undefined)
    throw new UsageError(`--${flag} must be a size such as 1048576, 512MiB or 1GB, got '${raw}'`);
  return Math.round(Number(match[1]) * unit);
}

export function parseChoice<T extends string>(flag: string, raw: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(raw)) {
    throw new UsageError(`--${flag} must be one of ${choices.join(', ')}, got '${raw}'`);
  }
  return raw as T;
}

/** KAFKA_SSL* / KAFKA_SASL_* (docs/operations.md), read before anything starts: a bad value is a usage error. */
export function kafkaSecurityOf(env: NodeJS.ProcessEnv): KafkaSecurity {
  try {
    return kafkaSecurityFromEnv(env);
  } catch (error) {
    if (error instanceof KafkaSecurityError) throw new UsageError(error.message);
    throw error;
  }
}
