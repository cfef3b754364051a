import { z } from 'zod'
import { readConfigFile, zodIssuesToConfigIssues } from '../../core/config/load.js'
import { ConfigError, type ConfigIssue } from '../../core/errors.js'
import {
  duplicateIssues,
  parsePluginEntry,
  parsePluginList,
  type ConfigPath,
  type PluginListEntry,
  type PluginListSpec,
} from '../../core/plugins/plugin-list.js'
import { deviceTypeSpec } from '../../core/telemetry/device-types.js'
import { DEVICE_PROFILES } from '../profiles/index.js'
import type { DeviceProfile } from '../profiles/profile.js'
import { SCENARIOS } from '../scenarios/index.js'
import type { Scenario } from '../scenarios/scenario.js'

/** A scenario entry of a group: `scenario` names the plugin, `config` is its own. */
const scenarioEntrySchema = z.strictObject({
  scenario: z.string().min(1).describe('Scenario type (devices-sim/scenarios/<type>/).'),
  devices: z.number().int().min(1).optional().describe('The first N devices of the group; all by default.'),
  config: z.record(z.string(), z.unknown()).default({}).describe("The scenario's own settings."),
})

/** A group of devices: `profile` names the plugin, `config` is its own. */
const groupSchema = z.strictObject({
  profile: z.string().min(1).describe('Device profile type (devices-sim/profiles/<type>/).'),
  count: z.number().int().min(1).max(100_000).describe('Devices in the group.'),
  idPrefix: z
    .string()
    .regex(/^[A-Za-z0-9._-]*$/)
    .optional()
    .describe('Device ids are <idPrefix><0001…>.'),
  config: z.record(z.string(), z.unknown()).default({}).describe("The profile's own settings."),
  scenarios: z.array(scenarioEntrySchema).default([]).describe('Scenarios run on devices of the group.'),
})

export const fleetFileSchema = z.strictObject({
  seed: z
    .number()
    .int()
    .default(1)
    .describe('Seed of every random choice: the same seed gives the same run.'),
  mqtt: z
    .strictObject({
      url: z
        .string()
        .min(1)
        .default('mqtt://127.0.0.1:1883')
        .describe(
          'Broker (the Pulsewire gateway) URL, or a comma-separated gateway list (mqtt:// or mqtts:// only): device i starts at entry i mod n and moves to the next on connection loss.',
        ),
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
  groups: z.array(groupSchema).min(1).describe('Device groups, each of one profile.'),
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

/** How a fleet file lists device profiles (its groups), for the one plugin-list parser. */
export const PROFILE_LIST: PluginListSpec<DeviceProfile, typeof groupSchema> = {
  kind: 'profile',
  registry: DEVICE_PROFILES,
  typeKey: 'profile',
  common: groupSchema,
  configKey: 'config',
  unique: {
    key: 'idPrefix',
    value: (group, profile) => group.idPrefix ?? deviceTypeSpec(profile.type).idPrefix,
    hint: 'give each group its own idPrefix (device ids must be unique)',
  },
}

/** How a fleet group lists its scenarios, for the one plugin-list parser. */
export const SCENARIO_LIST: PluginListSpec<Scenario, typeof scenarioEntrySchema> = {
  kind: 'scenario',
  registry: SCENARIOS,
  typeKey: 'scenario',
  common: scenarioEntrySchema,
  configKey: 'config',
}

type Group = z.output<typeof groupSchema>

/** A group's scenarios, and whether each fits the group's profile and size. */
function resolveScenarios(
  group: Group,
  at: ConfigPath,
  profile: DeviceProfile | undefined,
  issues: ConfigIssue[],
): ResolvedScenario[] {
  const list = parsePluginList(group.scenarios, [...at, 'scenarios'], SCENARIO_LIST)
  issues.push(...list.issues)
  return list.entries.map(({ plugin: scenario, common, path, config }) => {
    if (profile && !scenario.appliesTo.includes(profile.type)) {
      issues.push({
        path: [...path, 'scenario'].join('.'),
        message: `${scenario.type} does not apply to ${profile.type}`,
      })
    }
    if ((common.devices ?? 0) > group.count)
      issues.push({
        path: [...path, 'devices'].join('.'),
        message: `more than the group's ${group.count} devices`,
      })
    return { scenario, devices: common.devices ?? group.count, config }
  })
}

/** Validates a fleet file against its schema and every plugin's own schema, reporting all problems at once. */
export function parseFleet(raw: unknown, source: string): Fleet {
  const parsed = fleetFileSchema.safeParse(raw)
  if (!parsed.success) throw new ConfigError(source, zodIssuesToConfigIssues(parsed.error.issues))
  const issues: ConfigIssue[] = []
  const entries: PluginListEntry<DeviceProfile, Group>[] = []
  const groups = parsed.data.groups.map((group, g): ResolvedGroup => {
    const at = ['groups', g]
    const profile = parsePluginEntry(group, at, PROFILE_LIST)
    // A group's scenario problems come before its profile config's, the order this parser always had.
    const scenarios = resolveScenarios(group, at, profile.plugin, issues)
    issues.push(...profile.issues)
    if (profile.entry) entries.push(profile.entry)
    // Without a plugin there is an issue, and the fleet is thrown away below.
    return {
      profile: profile.plugin as DeviceProfile,
      count: group.count,
      idPrefix: group.idPrefix ?? (profile.plugin ? deviceTypeSpec(profile.plugin.type).idPrefix : ''),
      config: profile.entry?.config,
      scenarios,
    }
  })
  issues.push(...duplicateIssues(entries, PROFILE_LIST.unique))
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
