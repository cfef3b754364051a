import { randomBytes } from 'node:crypto'
import { z } from 'zod'
import { ConfigError, type ConfigIssue } from '../../core/errors.js'
import { LOAD_PROFILE_NAMES, profileHasSpo2, type LoadProfileName } from './readings.js'
import { minDeviceIntervalMs } from './schedule.js'

/** A deliberate fault: kill process `process` of the target `atS` seconds into the load, then restart it. */
export interface FaultSpec {
  process: string
  atS: number
}

/** Everything a run needs, validated and resolved (the rate is known whichever way it was given). */
export interface LoadtestOptions {
  devices: number
  ratePerSec: number
  deviceIntervalMs: number
  samples: number
  qos: 0 | 1
  durationS: number
  rampUpS: number
  profile: LoadProfileName
  /** Every Nth device (0 = none) reports an SpO2 desaturation, to measure the alert hop. */
  alarmEvery: number
  alarmSpo2: number
  alarmHoldS: number
  faults: FaultSpec[]
  /** One message in this many is probed for "visible in InfluxDB". */
  probeEvery: number
  probePollMs: number
  drainTimeoutS: number
  connectRatePerSec: number
  /** Device ids are `<idPrefix>-00001`…: unique per run, so taps and queries see only this run. */
  idPrefix: string
}

const count = (min: number, max: number) => z.coerce.number().int().min(min).max(max)
const seconds = z.coerce.number().finite()

const FAULT = /^([a-z][a-z0-9-]*)@(\d+(?:\.\d+)?)$/

/** Flag names as the CLI spells them: an issue names the flag to fix. */
const FLAGS: Record<string, string> = {
  rampUp: '--ramp-up',
  alarmEvery: '--alarm-every',
  alarmSpo2: '--alarm-spo2',
  alarmHold: '--alarm-hold',
  probeEvery: '--probe-every',
  probePoll: '--probe-poll',
  drainTimeout: '--drain-timeout',
  connectRate: '--connect-rate',
  idPrefix: '--id-prefix',
  faults: '--fault',
}

export const loadtestInputSchema = z
  .strictObject({
    devices: count(1, 100_000).default(100),
    rate: z.coerce.number().positive().max(1_000_000).optional(),
    interval: z.coerce.number().positive().optional(),
    samples: count(1, 100).default(1),
    qos: z.coerce
      .number()
      .pipe(z.union([z.literal(0), z.literal(1)]))
      .default(1),
    duration: seconds
      .positive()
      .max(7 * 24 * 3600)
      .default(30),
    rampUp: seconds.min(0).default(0),
    profile: z.enum(LOAD_PROFILE_NAMES as [LoadProfileName, ...LoadProfileName[]]).default('bedside-monitor'),
    alarmEvery: count(0, 100_000).optional(),
    alarmSpo2: z.coerce.number().min(1).max(89).default(85),
    alarmHold: seconds.positive().default(20),
    faults: z.array(z.string().regex(FAULT, 'expected <process>@<seconds>, e.g. storage@20')).default([]),
    probeEvery: count(1, 10_000_000).optional(),
    probePoll: count(10, 10_000).default(50),
    drainTimeout: seconds.positive().default(60),
    connectRate: count(1, 100_000).default(1_000),
    idPrefix: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,40}$/, 'lower-case letters, digits and "-", at most 41')
      .optional(),
  })
  .superRefine((o, ctx) => {
    if (o.rate !== undefined && o.interval !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['rate'], message: 'give --rate or --interval, not both' })
    }
    const interval = o.rate !== undefined ? (o.devices * 1000) / o.rate : (o.interval ?? 1000)
    if (interval < minDeviceIntervalMs(o.samples)) {
      ctx.addIssue({
        code: 'custom',
        path: [o.rate !== undefined ? 'rate' : 'interval'],
        message:
          `each device would publish every ${interval.toFixed(2)} ms with ${o.samples} readings: ` +
          `at least ${minDeviceIntervalMs(o.samples)} ms is needed, since InfluxDB keeps one point per ` +
          'device and millisecond (use more --devices, a lower --rate or fewer --samples)',
      })
    }
    if (o.rampUp > o.duration) {
      ctx.addIssue({
        code: 'custom',
        path: ['rampUp'],
        message: 'the ramp-up cannot be longer than --duration',
      })
    }
    if ((o.alarmEvery ?? 0) > 0 && !profileHasSpo2(o.profile)) {
      ctx.addIssue({
        code: 'custom',
        path: ['alarmEvery'],
        message: `alarm devices report low SpO2, which profile ${o.profile} has not`,
      })
    }
    for (const [i, fault] of o.faults.entries()) {
      const at = Number(FAULT.exec(fault)?.[2])
      if (at >= o.duration) {
        ctx.addIssue({
          code: 'custom',
          path: ['faults', i],
          message: `${fault}: after the end of --duration`,
        })
      }
    }
  })

export type LoadtestInput = z.input<typeof loadtestInputSchema>

/** Validates options from the CLI (strings) or from code (numbers); throws a ConfigError listing every problem. */
export function parseLoadtestOptions(input: Record<string, unknown>): LoadtestOptions {
  const defined = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined))
  const result = loadtestInputSchema.safeParse(defined)
  if (!result.success) {
    const issues: ConfigIssue[] = result.error.issues.map((issue) => {
      const [key, ...rest] = issue.path.map(String)
      const flag = key === undefined ? '' : (FLAGS[key] ?? `--${key}`)
      return { path: [flag, ...rest].join('.'), message: issue.message }
    })
    throw new ConfigError('loadtest options', issues)
  }
  const o = result.data
  const ratePerSec = o.rate ?? (o.devices * 1000) / (o.interval ?? 1000)
  return {
    devices: o.devices,
    ratePerSec,
    deviceIntervalMs: (o.devices * 1000) / ratePerSec,
    samples: o.samples,
    qos: o.qos,
    durationS: o.duration,
    rampUpS: o.rampUp,
    profile: o.profile,
    alarmEvery: o.alarmEvery ?? (profileHasSpo2(o.profile) ? 20 : 0),
    alarmSpo2: o.alarmSpo2,
    alarmHoldS: o.alarmHold,
    faults: o.faults.map((f) => {
      const [, process = '', at = '0'] = FAULT.exec(f) ?? []
      return { process, atS: Number(at) }
    }),
    // About 20 probes a second whatever the rate: enough for percentiles, cheap for InfluxDB.
    probeEvery: o.probeEvery ?? Math.max(1, Math.round(ratePerSec / 20)),
    probePollMs: o.probePoll,
    drainTimeoutS: o.drainTimeout,
    connectRatePerSec: o.connectRate,
    idPrefix: o.idPrefix ?? `lt-${Date.now().toString(36)}-${randomBytes(2).toString('hex')}`,
  }
}
