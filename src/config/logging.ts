/** The logs (src/observability/logger.ts): how much, and in which format. */
import { z } from 'zod';
import { LOG_FORMATS, type LogFormat } from '../observability/logger';
import type { EnvReader } from './env-reader';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const logLevel = z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` });
const logFormat = z.enum(LOG_FORMATS, { error: `must be one of ${LOG_FORMATS.join(', ')}` });

/** `LOG_LEVEL` (default info), `LOG_FORMAT` (null: pretty on a terminal, JSON lines otherwise). */
export function readLogging(r: EnvReader): { logLevel: LogLevel | undefined; logFormat: LogFormat | null } {
  return {
    logLevel: r.withDefault('LOG_LEVEL', logLevel, 'info'),
    logFormat: r.optional('LOG_FORMAT', logFormat) ?? null,
  };
}
