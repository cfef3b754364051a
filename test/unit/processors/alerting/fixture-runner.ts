import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { z } from 'zod'
import {
  ALERT_KINDS,
  ALERT_PRIORITIES,
  ALERT_TRANSITIONS,
  type AlertEvent,
} from '../../../../core/alerts/alert-event.js'
import { DEVICE_TYPES, QUALITIES, type TelemetryEnvelope } from '../../../../core/telemetry/envelope.js'
import { METRIC_NAMES, METRICS } from '../../../../core/telemetry/metric-registry.js'
import {
  createAlertEngine,
  type AlertEngine,
  type DeviceInfo,
} from '../../../../processors/alerting/engine/engine.js'
import { loadRuleSet, type RuleSet } from '../../../../processors/alerting/rules/rule-set.js'
import { repoRoot } from '../../../helpers/cli.js'
import { FakeClock } from '../../../helpers/fake-clock.js'

/**
 * Golden rule fixtures: test/fixtures/rules/<type>/<case>/{rules.yaml, input.jsonl, expected.jsonl}.
 * Input lines are steps in event time; expected lines are the alert transitions, compared on their
 * stable fields (never emittedTsMs). Adding a case needs no code.
 */
export const RULE_FIXTURES = join(repoRoot, 'test', 'fixtures', 'rules')

const sampleSchema = z.strictObject({
  metric: z.enum(METRIC_NAMES),
  value: z.number(),
  quality: z.enum(QUALITIES).default('valid'),
  tsMs: z.number().int().min(0).default(0),
  backfill: z.boolean().default(false),
})

export const stepSchema = z.discriminatedUnion('type', [
  /** Declares a device (registry data) before its first message. */
  z.strictObject({
    type: z.literal('device'),
    deviceId: z.string(),
    deviceType: z.enum(DEVICE_TYPES),
    subjectId: z.string().optional(),
  }),
  z.strictObject({
    type: z.literal('telemetry'),
    deviceId: z.string(),
    /** The message's device time (deviceTsMs); samples default to it. */
    t: z.number().int().min(0),
    rxMs: z.number().int().min(0).optional(),
    samples: z.array(sampleSchema).default([]),
    status: z
      .strictObject({ batteryPct: z.number().optional(), onMainsPower: z.boolean().default(false) })
      .optional(),
  }),
  z.strictObject({
    type: z.literal('lifecycle'),
    deviceId: z.string(),
    event: z.enum(['connected', 'disconnected']),
    atMs: z.number().int().min(0),
  }),
  z.strictObject({ type: z.literal('advance'), streamTimeMs: z.number().int().min(0) }),
  z.strictObject({
    type: z.literal('ack'),
    alertId: z.string(),
    actor: z.string(),
    atMs: z.number().int().min(0),
  }),
  z.strictObject({ type: z.literal('note'), text: z.string() }),
])
export type Step = z.output<typeof stepSchema>

const expectedSchema = z.strictObject({
  alertId: z.string(),
  ruleId: z.string(),
  transition: z.enum(ALERT_TRANSITIONS),
  priority: z.enum(ALERT_PRIORITIES),
  kind: z.enum(ALERT_KINDS),
  eventTsMs: z.number(),
  late: z.boolean(),
  latching: z.boolean(),
  value: z.number().optional(),
  limit: z.number().optional(),
  actor: z.string().optional(),
  message: z.string().optional(),
})
export type ExpectedEvent = z.output<typeof expectedSchema>
const REQUIRED = [
  'alertId',
  'ruleId',
  'transition',
  'priority',
  'kind',
  'eventTsMs',
  'late',
  'latching',
] as const
const OPTIONAL = ['value', 'limit', 'actor', 'message'] as const

export interface RuleFixture {
  /** "<type>/<case>" */
  name: string
  ruleSet: RuleSet
  steps: Step[]
  expected: ExpectedEvent[]
}

function readJsonl<T>(file: string, schema: z.ZodType<T>): T[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((line, i) => [line.trim(), i + 1] as const)
    .filter(([line]) => line !== '')
    .map(([line, n]) => {
      const parsed = schema.safeParse(JSON.parse(line))
      if (!parsed.success) throw new Error(`${file}:${n}: ${z.prettifyError(parsed.error)}`)
      return parsed.data
    })
}

const subdirectories = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => join(dir, entry.name))
    .sort()

export function loadRuleFixtures(): RuleFixture[] {
  return subdirectories(RULE_FIXTURES).flatMap((typeDir) =>
    subdirectories(typeDir)
      .filter((dir) => existsSync(join(dir, 'input.jsonl')))
      .map((dir) => ({
        name: dir.slice(RULE_FIXTURES.length + 1),
        ruleSet: loadRuleSet(join(dir, 'rules.yaml')),
        steps: readJsonl(join(dir, 'input.jsonl'), stepSchema),
        expected: readJsonl(join(dir, 'expected.jsonl'), expectedSchema),
      })),
  )
}

/** Drives one engine through steps; device declarations persist across engines (registry data). */
export function createStepRunner(devices = new Map<string, DeviceInfo>()) {
  const seq = new Map<string, number>()
  const device = (id: string): DeviceInfo => {
    const info = devices.get(id)
    if (!info) throw new Error(`device ${id} used before a "device" step`)
    return info
  }
  return {
    devices,
    run(engine: AlertEngine, step: Step): AlertEvent[] {
      switch (step.type) {
        case 'device':
          devices.set(step.deviceId, {
            deviceId: step.deviceId,
            deviceType: step.deviceType,
            subjectId: step.subjectId,
          })
          return []
        case 'telemetry': {
          const info = device(step.deviceId)
          const next = (seq.get(step.deviceId) ?? 0) + 1
          seq.set(step.deviceId, next)
          const envelope: TelemetryEnvelope = {
            deviceId: step.deviceId,
            bootId: 'boot-1',
            seq: next,
            deviceTsMs: step.t,
            deviceType: info.deviceType,
            status: step.status && { ...step.status, firmware: '1.0.0' },
            samples: step.samples.map((s) => ({ ...s, ucum: METRICS[s.metric].ucum })),
          }
          return engine.onTelemetry(envelope, info, step.rxMs ?? step.t)
        }
        case 'lifecycle':
          return engine.onLifecycle(device(step.deviceId), step.event, step.atMs)
        case 'advance':
          return engine.advance(step.streamTimeMs)
        case 'ack':
          return engine.acknowledge(step.alertId, step.actor, step.atMs)
        case 'note':
          return []
      }
    },
  }
}

export function newEngine(ruleSet: RuleSet): AlertEngine {
  return createAlertEngine({ ruleSet, clock: new FakeClock() })
}

export function runFixture(fixture: RuleFixture): AlertEvent[] {
  const engine = newEngine(fixture.ruleSet)
  const runner = createStepRunner()
  return fixture.steps.flatMap((step) => runner.run(engine, step))
}

const round = (v: unknown): unknown => (typeof v === 'number' ? Math.round(v * 1e6) / 1e6 : v)

/** The stable fields of each event, plus the optional ones the expected line at the same index names. */
export function project(
  events: readonly AlertEvent[],
  expected: readonly ExpectedEvent[],
): Record<string, unknown>[] {
  return events.map((event, i) => {
    const keys = [...REQUIRED, ...OPTIONAL.filter((k) => expected[i]?.[k] !== undefined)]
    return Object.fromEntries(keys.map((k) => [k, round(event[k])]))
  })
}
