import { CHANNELS } from '../telemetry/topics.js'

/**
 * The InfluxDB layout of telemetry: which measurement each channel's points go to, the tag keys
 * that make a series, and the field names. Storage writes it and the query layer reads it, so
 * both take it from here.
 */

/** The channels storage reads, and the measurement each one's points go to. */
export const STORAGE_MEASUREMENTS = {
  [CHANNELS.vitals]: 'vitals',
  [CHANNELS.environment]: 'environment',
} as const
export type Measurement = (typeof STORAGE_MEASUREMENTS)[keyof typeof STORAGE_MEASUREMENTS]
export const STORAGE_CHANNELS = Object.keys(STORAGE_MEASUREMENTS) as ReadonlyArray<
  keyof typeof STORAGE_MEASUREMENTS
>

/** Tag keys: the series identity besides the measurement. Never a sequence number or a time. */
export const TAGS = {
  deviceId: 'device_id',
  deviceType: 'device_type',
  site: 'site',
  subject: 'subject',
} as const

/** The field holding a metric's quality; the value field is named after the metric itself. */
export const qualityField = (metric: string): string => `${metric}_quality`
