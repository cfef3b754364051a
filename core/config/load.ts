import { readFileSync } from 'node:fs'
import { parse as parseYaml } from 'yaml'
import type { z } from 'zod'
import { ConfigError, type ConfigIssue } from '../errors.js'

/**
 * Environment overrides: `PULSEWIRE__KAFKA__BROKERS=host:9092` sets `kafka.brokers`.
 * Segments are separated by a double underscore and turned to camelCase (`MAX_IN_FLIGHT`
 * → `maxInFlight`). Values are read as YAML scalars, so `19092` is a number and `[a, b]` a list.
 */
export const ENV_PREFIX = 'PULSEWIRE__'

export interface LoadConfigOptions<S extends z.ZodType> {
  schema: S
  /** Path of a YAML or JSON file; absent means defaults plus environment. */
  file?: string | undefined
  /** The process environment; passed in so `process.env` is read in one place only. */
  env?: Readonly<Record<string, string | undefined>>
}

export type LoadedConfig<S extends z.ZodType> = Readonly<z.output<S>>

/** Loads, validates and deep-freezes a process configuration, or throws a ConfigError listing every issue. */
export function loadConfig<S extends z.ZodType>(options: LoadConfigOptions<S>): LoadedConfig<S> {
  const source = options.file ?? 'defaults'
  const fromFile = options.file ? readConfigFile(options.file) : {}
  const merged = applyEnvOverrides(fromFile, options.env ?? {}, topLevelKeys(options.schema))
  const result = options.schema.safeParse(merged)
  if (!result.success) {
    throw new ConfigError(source, zodIssuesToConfigIssues(result.error.issues))
  }
  return deepFreeze(result.data)
}

export function readConfigFile(file: string): Record<string, unknown> {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err)
    throw new ConfigError(
      file,
      [{ path: '', message: `cannot read file: ${message}` }],
      'CFG_FILE_UNREADABLE',
      err,
    )
  }
  let parsed: unknown
  try {
    parsed = parseYaml(text)
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err)
    throw new ConfigError(
      file,
      [{ path: '', message: `not valid YAML/JSON: ${message}` }],
      'CFG_FILE_UNPARSABLE',
      err,
    )
  }
  if (parsed === null || parsed === undefined) return {}
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(file, [{ path: '', message: 'expected a mapping of keys at the top level' }])
  }
  return parsed as Record<string, unknown>
}

function topLevelKeys(schema: z.ZodType): ReadonlySet<string> | undefined {
  // Processes share one environment (`pulsewire up`), so an override for a section that this
  // process does not have (the gateway has no `influx`) is not for it. Inside a section it owns,
  // an unknown key still fails validation: typos are caught.
  const shape = (schema as unknown as { shape?: Record<string, unknown> }).shape
  return shape ? new Set(Object.keys(shape)) : undefined
}

export function applyEnvOverrides(
  base: Record<string, unknown>,
  env: Readonly<Record<string, string | undefined>>,
  knownTopLevel?: ReadonlySet<string>,
): Record<string, unknown> {
  const result = structuredClone(base)
  for (const [name, raw] of Object.entries(env).sort(([a], [b]) => a.localeCompare(b))) {
    if (!name.startsWith(ENV_PREFIX) || raw === undefined) continue
    const path = name.slice(ENV_PREFIX.length).split('__').map(toCamelCase)
    if (path.some((segment) => segment === '')) continue
    if (knownTopLevel && !knownTopLevel.has(path[0] ?? '')) continue
    setPath(result, path, parseEnvValue(raw))
  }
  return result
}

function toCamelCase(segment: string): string {
  return segment.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())
}

function parseEnvValue(raw: string): unknown {
  try {
    return parseYaml(raw) as unknown
  } catch {
    // Not YAML (e.g. a password with a colon and a brace): the raw string is what was meant.
    return raw
  }
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target
  for (const segment of path.slice(0, -1)) {
    const next = node[segment]
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[segment] = {}
    node = node[segment] as Record<string, unknown>
  }
  node[path[path.length - 1] as string] = value
}

interface ZodIssueLike {
  code: string
  path: PropertyKey[]
  message: string
  keys?: string[]
}

/** Zod issues as config issues; an unknown key gets `unknownKeyMessage` (process settings by default). */
export function zodIssuesToConfigIssues(
  issues: readonly ZodIssueLike[],
  unknownKeyMessage = 'unknown key (a typo, or a setting of another process?)',
): ConfigIssue[] {
  return issues.flatMap((issue) => {
    const base = issue.path.map(String)
    if (issue.code === 'unrecognized_keys' && issue.keys) {
      return issue.keys.map((key) => ({
        path: [...base, key].join('.'),
        message: unknownKeyMessage,
      }))
    }
    return [{ path: base.join('.'), message: issue.message }]
  })
}

export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const child of Object.values(value)) deepFreeze(child)
  }
  return value
}
