import { z } from 'zod'
import { readConfigFile } from '../../../core/config/load.js'
import { ConfigError, type ConfigIssue } from '../../../core/errors.js'
import { KNOWN_DEVICE_TYPES, type DeviceType } from '../../../core/telemetry/device-types.js'
import {
  issuesAt,
  parsePluginList,
  type PluginListEntry,
  type PluginListSpec,
} from '../../../core/plugins/plugin-list.js'
import { RULE_TYPES } from './index.js'
import type { LimitBound, RegisteredRule, RuleLogic } from './rule.js'

/** The rules shipped with Pulsewire, relative to the repository root. */
export const DEFAULT_RULES_FILE = 'deploy/rules/default.yaml'

/** One configured, validated rule, ready for the engine. */
export interface RuleDefinition {
  /** Unique in the set; part of every alert id, so it never changes once alerts were raised. */
  readonly id: string
  readonly type: string
  readonly appliesTo: readonly DeviceType[]
  readonly description: string
  readonly logic: RuleLogic<unknown>
}

export interface RuleSet {
  readonly source: string
  /** Enabled rules only, in file order. */
  readonly rules: readonly RuleDefinition[]
}

/** Device types a rule may apply to: every type of the device-type table. */
export const RULE_DEVICE_TYPES = KNOWN_DEVICE_TYPES

const ruleSetSchema = z.strictObject({
  version: z.literal(1).describe('Rule file format version.'),
  rules: z.array(z.unknown()).describe('The rules; each has the common keys below plus its type’s own.'),
})

/** Keys every rule has, whatever its type; the rest of the entry is the type's config. */
export const commonRuleSchema = z.looseObject({
  id: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'lower-case letters, digits and dashes (it is part of alert ids)')
    .describe('Rule id, unique in the set; part of every alert id (device/rule/episode).'),
  type: z.string().describe(`Rule type: ${RULE_TYPES.map((r) => r.type).join(', ')}.`),
  appliesTo: z.array(z.enum(RULE_DEVICE_TYPES)).min(1).describe('Device types the rule evaluates.'),
  description: z.string().default('').describe('What the rule is for, for people reading alerts.'),
  enabled: z
    .boolean()
    .default(true)
    .describe('false keeps the rule (and its episode numbering) but does not run it.'),
})

/** How a rule file lists rules, for the one plugin-list parser. */
export const RULE_LIST: PluginListSpec<RegisteredRule, typeof commonRuleSchema> = {
  kind: 'rule type',
  registry: RULE_TYPES,
  typeKey: 'type',
  common: commonRuleSchema,
  unique: {
    key: 'id',
    value: (common) => common.id,
    hint: 'rule ids are unique in a set (they are part of alert ids)',
  },
}

interface Parsed {
  definition: RuleDefinition
  enabled: boolean
  bounds: LimitBound[]
  index: number
}

function toParsed(entry: PluginListEntry<RegisteredRule, z.output<typeof commonRuleSchema>>): Parsed {
  const { id, type, appliesTo, description, enabled } = entry.common
  const { logic, bounds } = entry.plugin.create(entry.config, id)
  return { definition: { id, type, appliesTo, description, logic }, enabled, bounds, index: entry.index }
}

/** A low limit at or above a high limit on the same metric and device type can never be right (domain.md §1.1). */
function checkLimitPairs(parsed: readonly Parsed[], issues: ConfigIssue[]): void {
  for (const low of parsed) {
    for (const high of parsed) {
      const shared = low.definition.appliesTo.filter((t) => high.definition.appliesTo.includes(t))
      if (shared.length === 0) continue
      for (const l of low.bounds.filter((b) => b.side === 'low')) {
        for (const h of high.bounds.filter((b) => b.side === 'high' && b.metric === l.metric)) {
          if (l.limit < h.limit) continue
          issues.push({
            path: ['rules', low.index, ...l.path].join('.'),
            message: `low limit ${l.limit} of "${low.definition.id}" is not below the high limit ${h.limit} of "${high.definition.id}" (${l.metric} on ${shared.join(', ')})`,
          })
        }
      }
    }
  }
}

/** Validates a rule set once, reporting every problem with its path; unknown keys are errors. */
export function parseRuleSet(raw: unknown, source: string): RuleSet {
  const top = ruleSetSchema.safeParse(raw)
  if (!top.success) throw new ConfigError(source, issuesAt(top.error.issues, []))
  const { entries, issues } = parsePluginList(top.data.rules, ['rules'], RULE_LIST)
  const parsed = entries.map(toParsed)
  checkLimitPairs(
    parsed.filter((p) => p.enabled),
    issues,
  )
  if (issues.length > 0) throw new ConfigError(source, issues)
  return Object.freeze({
    source,
    rules: Object.freeze(parsed.filter((p) => p.enabled).map((p) => Object.freeze(p.definition))),
  })
}

/** Reads and validates a YAML/JSON rule file; throws ConfigError with every problem. */
export function loadRuleSet(file: string): RuleSet {
  return parseRuleSet(readConfigFile(file), file)
}
