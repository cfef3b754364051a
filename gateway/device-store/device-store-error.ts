import { PipelineError, type ErrorCode, type PipelineErrorOptions } from '../../core/errors.js'

/** Why a device-store operation failed: stable for callers and tests, whatever the error code. */
export type DeviceStoreFailure =
  'invalid-file' | 'invalid-entry' | 'unknown-device' | 'device-exists' | 'write-failed'

/** The stable code each failure is reported with. */
export const DEVICE_STORE_ERROR_CODES = {
  'invalid-file': 'GW_REGISTRY_INVALID',
  'invalid-entry': 'GW_REGISTRY_INVALID_ENTRY',
  'unknown-device': 'GW_REGISTRY_UNKNOWN_DEVICE',
  'device-exists': 'GW_REGISTRY_DEVICE_EXISTS',
  'write-failed': 'GW_REGISTRY_WRITE_FAILED',
} as const satisfies Record<DeviceStoreFailure, ErrorCode>

/**
 * A device-store operation that cannot be done as asked (a bad file is a ConfigError instead).
 * The codes keep their GW_REGISTRY_ names: codes are API and are never renamed (ADR 0005).
 */
export class DeviceStoreError extends PipelineError {
  readonly reason: DeviceStoreFailure

  constructor(reason: DeviceStoreFailure, message: string, options: PipelineErrorOptions = {}) {
    super(DEVICE_STORE_ERROR_CODES[reason], message, {
      ...options,
      context: { ...options.context, reason },
    })
    this.name = 'DeviceStoreError'
    this.reason = reason
  }
}
