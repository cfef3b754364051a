import { PipelineError, type ErrorCode, type PipelineErrorOptions } from '../../core/errors.js'

/** Why a registry operation failed: stable for callers and tests, whatever the error code. */
export type RegistryFailure =
  'invalid-file' | 'invalid-entry' | 'unknown-device' | 'device-exists' | 'write-failed'

/** The stable code each failure is reported with. */
export const REGISTRY_ERROR_CODES = {
  'invalid-file': 'GW_REGISTRY_INVALID',
  'invalid-entry': 'GW_REGISTRY_INVALID_ENTRY',
  'unknown-device': 'GW_REGISTRY_UNKNOWN_DEVICE',
  'device-exists': 'GW_REGISTRY_DEVICE_EXISTS',
  'write-failed': 'GW_REGISTRY_WRITE_FAILED',
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
