import { z } from 'zod'
import { readConfigFile, zodIssuesToConfigIssues } from '../../core/config/load.js'
import { ConfigError, type ConfigIssue } from '../../core/errors.js'
import { KNOWN_DEVICE_TYPES, deviceTypeSpec } from '../../core/telemetry/device-types.js'
import { profileByType } from '../profiles/index.js'
import type { DeviceProfile } from '../profiles/profile.js'
import { SCENARIOS, scenarioByName } from '../scenarios/index.js'
import type { Scenario } from '../scenarios/scenario.js'

export const fleetFileSchema = z.strictObject({
  seed: z
    .number()
    .int()
    .default(1)
    .describe('Seed of every random choice: the same seed gives the same run.'),
  mqtt: z
    .strictObject({
      url: z.string().min(1).default('mqtt://127.0.0.1:1883').describe('Broker (the Pulsewire gateway) URL.'),
      qos: z
        .union([z.literal(0), z.literal(1), z.literal(2)])
        .default(1)
        .describe('QoS of telemetry publishes.'),
      keepaliveSeconds: z.number().int().min(1).default(30),
      connectTimeoutMs: z.number().int().positive().default(10_000),
      reconnectMinMs: z
        .number()
        .int()
        .positive()
        .default(500)
        .describe('First reconnect delay; doubles with jitter.'),
      reconnectMaxMs: z.number().int().positive().default(30_000).describe('Reconnect delay cap.'),
      connectRatePerSecond: z
        .number()
        .positive()
        .default(200)
        .describe('New connections per second at start, so a large fleet does not storm the broker.'),
      credentialsFile: z
        .string()
        .optional()
        .describe(
          'YAML/JSON map of deviceId → password (pulsewire devices credentials); absent = no password.',
        ),
    })
    .prefault({}),
  reportsPerPublish: z
    .number()
    .int()
    .min(1)
    .default(1)
    .describe('Batching: samples of this many report intervals go out in one publish.'),
  groups: z
    .array(
      z.strictObject({
        profile: z.enum(KNOWN_DEVICE_TYPES).describe('Device profile (devices-sim/profiles).'),
        count: z.number().int().min(1).max(100_000),
        idPrefix: z
          .string()
          .regex(/^[A-Za-z0-9._-]*$/)
          .optional()
          .describe('Device ids are <idPrefix><0001…>.'),
        config: z.record(z.string(), z.unknown()).default({}).describe("The profile's own settings."),
        scenarios: z
          .array(
            z.strictObject({
              scenario: z.string().min(1),
              devices: z
                .number()
                .int()
                .min(1)
                .optional()
                .describe('The first N devices of the group; all by default.'),
              config: z.record(z.string(), z.unknown()).default({}),
            }),
          )
          .default([]),
      }),
    )
    .min(1),
})

export interface ResolvedScenario {
  scenario: Scenario
  devices: number
  config: unknown
}

export interface ResolvedGroup {
  profile: DeviceProfile
  count: number
  idPrefix: string
  config: unknown
  scenarios: ResolvedScenario[]
}

export interface Fleet {
  seed: number
  mqtt: z.output<typeof fleetFileSchema>['mqtt']
  reportsPerPublish: number
  groups: ResolvedGroup[]
}

/** Validates a fleet file against its schema and every plugin's own schema, reporting all problems at once. */
export function parseFleet(raw: unknown, source: string): Fleet {
  const parsed = fleetFileSchema.safeParse(raw)
  if (!parsed.success) throw new ConfigError(source, zodIssuesToConfigIssues(parsed.error.issues))
  const issues: ConfigIssue[] = []
  const at = (path: (string | number)[], message: string): void => {
    issues.push({ path: path.join('.'), message })
  }
  const nested = (path: (string | number)[], schema: z.ZodType, value: unknown): unknown => {
    const result = schema.safeParse(value)
    if (result.success) return result.data
    for (const issue of zodIssuesToConfigIssues(result.error.issues)) {
      at([...path, ...(issue.path ? [issue.path] : [])], issue.message)
    }
    return undefined
  }
  const groups = parsed.data.groups.map((group, g): ResolvedGroup => {
    const profile = profileByType(group.profile) as DeviceProfile
    const scenarios = group.scenarios.flatMap((entry, s): ResolvedScenario[] => {
      const scenario = scenarioByName(entry.scenario)
      if (!scenario) {
        at(
          ['groups', g, 'scenarios', s, 'scenario'],
          `unknown scenario; known: ${SCENARIOS.map((x) => x.name).join(', ')}`,
        )
        return []
      }
      if (!scenario.appliesTo.includes(group.profile)) {
        at(['groups', g, 'scenarios', s, 'scenario'], `${scenario.name} does not apply to ${group.profile}`)
      }
      if ((entry.devices ?? 0) > group.count)
        at(['groups', g, 'scenarios', s, 'devices'], `more than the group's ${group.count} devices`)
      const config = nested(['groups', g, 'scenarios', s, 'config'], scenario.configSchema, entry.config)
      return [{ scenario, devices: entry.devices ?? group.count, config }]
    })
    const config = nested(['groups', g, 'config'], profile.configSchema, group.config)
    return {
      profile,
      count: group.count,
      idPrefix: group.idPrefix ?? deviceTypeSpec(group.profile).idPrefix,
      config,
      scenarios,
    }
  })
  const ids = new Set<string>()
  groups.forEach((group, g) => {
    if (ids.has(group.idPrefix)) at(['groups', g, 'idPrefix'], `"${group.idPrefix}" is used by another group`)
    ids.add(group.idPrefix)
  })
  if (issues.length > 0) throw new ConfigError(source, issues)
  return {
    seed: parsed.data.seed,
    mqtt: parsed.data.mqtt,
    reportsPerPublish: parsed.data.reportsPerPublish,
    groups,
  }
}

export function loadFleetFile(file: string): Fleet {
  return parseFleet(readConfigFile(file), file)
}
