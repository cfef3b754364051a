import type { z } from 'zod'
import { zodIssuesToConfigIssues } from '../config/load.js'
import type { ConfigIssue } from '../errors.js'

/** Where a value sits in its config file: `['rules', 3, 'levels', 0]` is reported as `rules.3.levels.0`. */
export type ConfigPath = readonly (string | number)[]

/**
 * What every plugin kind's contract has in common (alert rules, alert sinks, device profiles,
 * scenarios): the part the one list parser needs. A plugin is the folder `<kind>/<type>/` with
 * `<type>.ts`, `README.md` and `example.yaml`, listed explicitly in `<kind>/index.ts`.
 */
export interface PluginType {
  /** kebab-case; equals the plugin's folder name and the value that selects it in a config file. */
  readonly type: string
  /** One line for listings and docs. */
  readonly summary: string
  /** Strict objects, every field `.describe()`d; validated once when the config loads. */
  readonly configSchema: z.ZodType
}

/** A value that must be unique across a list (rule ids, sink names, fleet group id prefixes). */
export interface UniqueKey<P extends PluginType, C> {
  /** The entry key the duplicate is reported at. */
  readonly key: string
  /** The value, which may default from the plugin (a sink's name defaults to its type). */
  value(common: C, plugin: P): string
  /** Said after `"x" is used twice (also <path>)`: what to do about it. */
  readonly hint: string
}

/** How one kind's lists look in a config file. */
export interface PluginListSpec<P extends PluginType, K extends z.ZodObject> {
  /** The noun in messages: `rule type`, `sink type`, `profile`, `scenario`. */
  readonly kind: string
  /** The kind's explicit registry array (`<kind>/index.ts`). */
  readonly registry: readonly P[]
  /** The entry key whose value is the plugin type: `type`, or `profile` / `scenario` in a fleet file. */
  readonly typeKey: string
  /**
   * The keys of an entry that are not the plugin's own config, the type key among them (a string).
   * Without `configKey` the plugin's config is every other key of the entry (rules, sinks: flat
   * entries); with it, the plugin's config is the value of that key, which `common` then also holds.
   */
  readonly common: K
  readonly configKey?: string
  readonly unique?: UniqueKey<P, z.output<K>>
}

/** One validated entry: its common keys, its plugin, and the config that plugin's schema produced. */
export interface PluginListEntry<P extends PluginType, C> {
  /** Position in its list: the last segment of `path`. */
  readonly index: number
  readonly path: ConfigPath
  readonly plugin: P
  readonly common: C
  /** The output of `plugin.configSchema` (defaults applied): safe to hand to that plugin's `create`. */
  readonly config: unknown
}

export interface PluginEntryResult<P extends PluginType, C> {
  /** Set when the entry is valid. */
  readonly entry?: PluginListEntry<P, C> | undefined
  /** Set once the type is known, even when the entry's config is invalid (for cross-checks). */
  readonly plugin?: P | undefined
  readonly issues: ConfigIssue[]
}

export interface PluginListResult<P extends PluginType, C> {
  /** The valid entries, in list order. */
  readonly entries: PluginListEntry<P, C>[]
  /** Every problem of every entry, in list order, then the duplicates. Empty when the list is valid. */
  readonly issues: ConfigIssue[]
}

/** Zod issues found at `prefix`, as config issues with the full path. */
export function issuesAt(
  issues: readonly z.core.$ZodIssue[],
  prefix: ConfigPath,
  unknownKeyMessage?: string,
): ConfigIssue[] {
  const moved = issues.map((issue) => ({ ...issue, path: [...prefix, ...issue.path] }))
  return zodIssuesToConfigIssues(moved, unknownKeyMessage)
}

/** Prefixes issues that a plugin reported relative to its entry (`secretEnv` → `sinks.2.secretEnv`). */
export function issuesUnder(issues: readonly ConfigIssue[], prefix: ConfigPath): ConfigIssue[] {
  return issues.map((issue) => ({
    ...issue,
    path: [...prefix.map(String), issue.path].filter((segment) => segment !== '').join('.'),
  }))
}

const pathOf = (path: ConfigPath): string => path.join('.')

/**
 * Validates one entry: its common keys, its type against the registry (an unknown type names the
 * known ones), then its config with that plugin's strict schema. Pure; every problem is returned.
 */
export function parsePluginEntry<P extends PluginType, K extends z.ZodObject>(
  raw: unknown,
  path: ConfigPath,
  spec: PluginListSpec<P, K>,
): PluginEntryResult<P, z.output<K>> {
  const unknownKey = `unknown key (a typo, or a key of another ${spec.kind}?)`
  // Flat entries carry the plugin's keys beside the common ones, so only the plugin schema may
  // reject a key; an entry with a config key has nothing else, so its common keys are strict.
  const commonSchema = spec.configKey === undefined ? spec.common.loose() : spec.common.strict()
  const common = commonSchema.safeParse(raw)
  if (!common.success) return { issues: issuesAt(common.error.issues, path, unknownKey) }
  // The loose or strict variant of `spec.common` has the same output, extra keys aside.
  const data = common.data as z.output<K> & Record<string, unknown>
  const type = String(data[spec.typeKey])
  const plugin = spec.registry.find((candidate) => candidate.type === type)
  if (!plugin) {
    const known = spec.registry.map((candidate) => candidate.type).join(', ')
    const message = `unknown ${spec.kind} "${type}" (known: ${known})`
    return { issues: [{ path: pathOf([...path, spec.typeKey]), message }] }
  }
  const configPath = spec.configKey === undefined ? path : [...path, spec.configKey]
  const ownKeys = new Set(Object.keys(spec.common.shape))
  const rawConfig =
    spec.configKey === undefined
      ? Object.fromEntries(Object.entries(data).filter(([key]) => !ownKeys.has(key)))
      : data[spec.configKey]
  const config = plugin.configSchema.safeParse(rawConfig)
  if (!config.success) return { plugin, issues: issuesAt(config.error.issues, configPath, unknownKey) }
  const entry = {
    index: Number(path[path.length - 1]),
    path,
    plugin,
    common: data,
    config: config.data,
  }
  return { entry, plugin, issues: [] }
}

/** Duplicates of the spec's unique key among valid entries, each reported at the later entry. */
export function duplicateIssues<P extends PluginType, C>(
  entries: readonly PluginListEntry<P, C>[],
  unique: UniqueKey<P, C> | undefined,
): ConfigIssue[] {
  if (!unique) return []
  const first = new Map<string, ConfigPath>()
  const issues: ConfigIssue[] = []
  for (const entry of entries) {
    const value = unique.value(entry.common, entry.plugin)
    const earlier = first.get(value)
    if (earlier === undefined) {
      first.set(value, entry.path)
      continue
    }
    issues.push({
      path: pathOf([...entry.path, unique.key]),
      message: `"${value}" is used twice (also ${pathOf(earlier)}); ${unique.hint}`,
    })
  }
  return issues
}

/**
 * The one plugin-list parser (rules, sinks, profiles, scenarios): validates every entry of `raw`
 * (found at `path` in its file) by its type, and the unique key across entries. It never throws
 * for bad input: the caller adds its own cross-entry checks and throws one ConfigError with all.
 */
export function parsePluginList<P extends PluginType, K extends z.ZodObject>(
  raw: readonly unknown[],
  path: ConfigPath,
  spec: PluginListSpec<P, K>,
): PluginListResult<P, z.output<K>> {
  const issues: ConfigIssue[] = []
  const entries: PluginListEntry<P, z.output<K>>[] = []
  raw.forEach((item, index) => {
    const result = parsePluginEntry(item, [...path, index], spec)
    issues.push(...result.issues)
    if (result.entry) entries.push(result.entry)
  })
  issues.push(...duplicateIssues(entries, spec.unique))
  return { entries, issues }
}
