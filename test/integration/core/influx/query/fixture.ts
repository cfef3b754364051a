import { createInfluxAdapter, type InfluxAdapter } from '../../../../../core/influx/client.js'
import type { DeviceType, Quality } from '../../../../../core/telemetry/envelope.js'
import { HEADERS } from '../../../../../core/telemetry/headers.js'
import type { MetricName } from '../../../../../core/telemetry/metric-registry.js'
import type { AggregateFn } from '../../../../../core/influx/query/query-spec.js'
import type { Measurement } from '../../../../../core/influx/layout.js'
import { envelopeToPoints } from '../../../../../processors/storage/points.js'
import { testInflux, unique } from '../../../../helpers/services.js'
import { envelope, sample } from '../../../../helpers/telemetry-fixtures.js'

/** A device id that is real (stored) and full of characters that matter to Flux, CSV and shells. */
export const WEIRD_ID = 'we"ird,\\id ${x} $"漢 🙂'

interface FixtureDevice {
  id: string
  measurement: Measurement
  type: DeviceType
  site: string
  subject?: string
  /** Readings per minute: at 0, 15, 30 and 45 s of that minute. */
  minutes: Array<Partial<Record<MetricName, readonly number[]>>>
}

export const DEVICES: readonly FixtureDevice[] = [
  {
    id: 'bed-01',
    measurement: 'vitals',
    type: 'bedside-monitor',
    site: 'ward-3',
    subject: 's-1',
    minutes: [
      { heart_rate: [60, 62, 64, 66], spo2: [97, 98, 96, 97] },
      { heart_rate: [70, 72, 75, 81], spo2: [95, 95, 99, 96] },
    ],
  },
  {
    id: 'bed-02',
    measurement: 'vitals',
    type: 'bedside-monitor',
    site: 'ward-3',
    subject: 's-2',
    minutes: [{ heart_rate: [80, 81, 82, 90] }, { heart_rate: [85, 85, 86, 88] }],
  },
  {
    id: 'bed-03',
    measurement: 'vitals',
    type: 'bedside-monitor',
    site: 'ward-5',
    subject: 's-1',
    minutes: [{ heart_rate: [100, 101, 102, 103] }],
  },
  {
    id: 'env-01',
    measurement: 'environment',
    type: 'environmental-sensor',
    site: 'ward-3',
    minutes: [{ ambient_temperature: [21.25, 21.5, 21.75, 22], battery_level: [80, 80, 79, 79] }],
  },
  {
    id: WEIRD_ID,
    measurement: 'vitals',
    type: 'bedside-monitor',
    site: 'ward-9',
    subject: 's-9',
    minutes: [{ heart_rate: [55, 56, 57, 58] }],
  },
]

/** The one reading stored with a quality other than valid: bed-01's second heart rate. */
export const MOTION = { device: 'bed-01', minute: 0, index: 1 } as const

export interface Seeded {
  database: string
  bucket: string
  influx: InfluxAdapter
  /** Start of the first minute of data: 30 to 40 minutes ago, aligned to 10 minutes (any window divides it). */
  t0: number
  iso: (offsetMs: number) => string
  drop(): Promise<void>
}

export async function seed(): Promise<Seeded> {
  const database = unique('it_query').replaceAll('-', '_')
  const bucket = `${database}/autogen`
  const influx = createInfluxAdapter({ ...testInflux, bucket })
  await influx.ensureBucket()
  const t0 = Math.floor(Date.now() / 600_000) * 600_000 - 30 * 60_000
  const points: string[] = []
  for (const device of DEVICES) {
    const headers: Record<string, Buffer> = {
      [HEADERS.deviceType]: Buffer.from(device.type),
      [HEADERS.site]: Buffer.from(device.site),
    }
    if (device.subject) headers[HEADERS.subject] = Buffer.from(device.subject)
    for (const [minute, metrics] of device.minutes.entries()) {
      for (const index of [0, 1, 2, 3]) {
        const time = t0 + minute * 60_000 + index * 15_000
        const quality: Quality =
          device.id === MOTION.device && minute === MOTION.minute && index === MOTION.index
            ? 'motion'
            : 'valid'
        const samples = Object.entries(metrics).map(([metric, values]) =>
          sample(metric as MetricName, values[index] ?? Number.NaN, { quality }),
        )
        const mapped = envelopeToPoints(
          device.measurement,
          envelope(device.id, minute * 4 + index, time, samples, device.type),
          headers,
        )
        if (!mapped.ok) throw new Error(mapped.error.detail)
        points.push(...mapped.value.points.map((p) => p.line))
      }
    }
  }
  await influx.write(points)
  return {
    database,
    bucket,
    influx,
    t0,
    iso: (offsetMs) => new Date(t0 + offsetMs).toISOString(),
    drop: async () => {
      await fetch(new URL('/query', testInflux.url), {
        method: 'POST',
        body: new URLSearchParams({ q: `DROP DATABASE "${database}"` }),
      })
    },
  }
}

/** Readings of a metric per minute, across the devices matched by `match`. */
export function minuteValues(metric: MetricName, match: (d: FixtureDevice) => boolean): number[][] {
  const minutes: number[][] = []
  for (const device of DEVICES.filter(match)) {
    for (const [minute, metrics] of device.minutes.entries()) {
      const values = metrics[metric]
      if (values) minutes[minute] = [...(minutes[minute] ?? []), ...values]
    }
  }
  return minutes
}

/** The aggregate computed here, independently of Flux; values are in reading-time order. */
export function aggregate(fn: AggregateFn, values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const sum = values.reduce((a, b) => a + b, 0)
  const mid = Math.floor(sorted.length / 2)
  const median =
    sorted.length % 2 ? (sorted[mid] ?? NaN) : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2
  const results: Record<AggregateFn, number> = {
    mean: sum / values.length,
    min: sorted[0] ?? NaN,
    max: sorted[sorted.length - 1] ?? NaN,
    median,
    first: values[0] ?? NaN,
    last: values[values.length - 1] ?? NaN,
    count: values.length,
    sum,
  }
  return results[fn]
}
