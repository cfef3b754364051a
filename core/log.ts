import { pino, type Logger } from 'pino'
import type { LogConfig } from './config/shared.js'

export type { Logger } from 'pino'

/** Paths that could identify a patient or leak a secret are never written (architecture.md §6). */
export const REDACT_PATHS = [
  'password',
  '*.password',
  'token',
  '*.token',
  'secret',
  '*.secret',
  'subjectName',
]

/** One root logger per process; components take `logger.child({ component })`. */
export function createLogger(service: string, config: LogConfig, version = '0.1.0'): Logger {
  return pino({
    level: config.level,
    base: { service, version, pid: process.pid },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  })
}
