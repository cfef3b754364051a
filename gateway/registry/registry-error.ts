import { PipelineError, type ErrorCode, type PipelineErrorOptions } from '../../core/errors.js'

/** Why a registry operation failed: stable for callers and tests, whatever the error code. */
export type RegistryFailure =
  'invalid-file' | 'invalid-entry' | 'unknown-device' | 'device-exists' | 'write-failed'

/**
 * The codes each failure is reported with. Placeholders until core/errors.ts gains
 * GW_REGISTRY_INVALID, GW_REGISTRY_INVALID_ENTRY, GW_REGISTRY_UNKNOWN_DEVICE,
 * GW_REGISTRY_DEVICE_EXISTS and GW_REGISTRY_WRITE_FAILED; then only this table changes.
 */
export const REGISTRY_ERROR_CODES = {
  'invalid-file': 'CFG_INVALID',
  'invalid-entry': 'CFG_INVALID',
  'unknown-device': 'CFG_INVALID',
  'device-exists': 'CFG_INVALID',
  'write-failed': 'CFG_FILE_UNREADABLE',
} as const satisfies Record<RegistryFailure, ErrorCode>

/** A device-registry operation that cannot be done as asked (a bad file is a ConfigError instead). */
export class RegistryError extends PipelineError {
  readonly reason: RegistryFailure

  constructor(reason: RegistryFailure, message: string, options: PipelineErrorOptions = {}) {
    super(REGISTRY_ERROR_CODES[reason], message, {
      ...options,
      context: { ...options.context, reason },
    })
    this.name = 'RegistryError'
    this.reason = reason
  }
}
