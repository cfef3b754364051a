import { z } from 'zod'
import { applyEnvOverrides, ENV_PREFIX } from '../../core/config/load.js'
import { stackConfigSchema } from '../../deploy/local/config.js'
import { fleetFileSchema } from '../../devices-sim/fleet/fleet-file.js'
import { commonSinkSchema } from '../../processors/sinks/config.js'
import { SINK_TYPES } from '../../processors/sinks/index.js'
import { cell, codeCell } from './markdown.js'
import { processFacts } from './processes.js'
import type { JsonSchema } from './protobuf-json-schema.js'

/**
 * docs/config.md from the zod schemas (`z.toJSONSchema`): one table per config file, one row per
 * key with its type, default and `.describe()` text, and the environment variable that sets it.
 */
interface Section {
  title: string
  intro: string
  schema: z.ZodType
  /** Key paths start with this (`sinks[].` for the keys of each sink). */
  prefix?: string[]
  /** Whether PULSEWIRE__* overrides apply (files read through loadConfig or applyEnvOverrides). */
  env: boolean
}

export interface ConfigRow {
  path: string
  type: string
  /** JSON text of the default; absent for sections and keys without one. */
  default?: string
  /** No default and not optional: the file must set it. */
  required: boolean
  description: string
  env?: string
}

function typeOf(schema: JsonSchema): string {
  if (Array.isArray(schema.enum)) return schema.enum.map((v) => JSON.stringify(v)).join(' | ')
  if ('const' in schema) return JSON.stringify(schema.const)
  if (Array.isArray(schema.anyOf)) return (schema.anyOf as JsonSchema[]).map(typeOf).join(' | ')
  if (schema.type === 'array') return `${typeOf((schema.items as JsonSchema | undefined) ?? {})}[]`
  if (schema.type === 'object' && typeof schema.additionalProperties === 'object') {
    return `map of ${typeOf(schema.additionalProperties as JsonSchema)}`
  }
  const base = Array.isArray(schema.type)
    ? schema.type.join(' | ')
    : typeof schema.type === 'string'
      ? schema.type
      : 'any'
  const bounds: string[] = []
  if (typeof schema.minimum === 'number' && schema.minimum > Number.MIN_SAFE_INTEGER) {
    bounds.push(`≥ ${schema.minimum}`)
  }
  if (typeof schema.exclusiveMinimum === 'number') bounds.push(`> ${schema.exclusiveMinimum}`)
  if (typeof schema.maximum === 'number' && schema.maximum < Number.MAX_SAFE_INTEGER) {
    bounds.push(`≤ ${schema.maximum}`)
  }
  if (typeof schema.format === 'string') bounds.push(schema.format)
  if (typeof schema.pattern === 'string') bounds.push(`/${schema.pattern}/`)
  return bounds.length > 0 ? `${base} (${bounds.join(', ')})` : base
}

/** The variable loadConfig maps onto `path`, checked by running it through applyEnvOverrides. */
function envVariable(path: string[]): string {
  const name = ENV_PREFIX + path.map((s) => s.replace(/([A-Z])/g, '_$1').toUpperCase()).join('__')
  const applied = applyEnvOverrides({}, { [name]: 'x' })
  const back = path.reduce<unknown>(
    (node, key) => (node as Record<string, unknown> | undefined)?.[key],
    applied,
  )
  if (back !== 'x') throw new Error(`${name} does not set ${path.join('.')}`)
  return name
}

/** `emit` is false for the root and for array items: their keys get rows, they need none. */
function rows(
  schema: JsonSchema,
  path: string[],
  env: boolean,
  required: boolean,
  out: ConfigRow[],
  emit = true,
): void {
  const properties = schema.properties as Record<string, JsonSchema> | undefined
  const isSection = schema.type === 'object' && properties !== undefined
  const hasDefault = 'default' in schema
  if (emit) {
    out.push({
      path: path.join('.').replace(/\.\[\]/g, '[]'),
      type: isSection ? 'object' : typeOf(schema),
      ...(hasDefault && !isSection ? { default: JSON.stringify(schema.default) } : {}),
      required: required && !hasDefault,
      description: typeof schema.description === 'string' ? schema.description : '',
      ...(env && !isSection && !path.includes('[]') ? { env: envVariable(path) } : {}),
    })
  }
  if (isSection) {
    const requiredKeys = new Set((schema.required as string[] | undefined) ?? [])
    for (const [key, child] of Object.entries(properties)) {
      rows(child, [...path, key], env, requiredKeys.has(key), out)
    }
  } else if (schema.type === 'array' && (schema.items as JsonSchema | undefined)?.properties) {
    rows(schema.items as JsonSchema, [...path, '[]'], env, true, out, false)
  }
}

export function configRows(schema: z.ZodType, prefix: string[] = [], env = false): ConfigRow[] {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema
  const out: ConfigRow[] = []
  rows(json, prefix, env, true, out, false)
  return out
}

function sections(): Section[] {
  const processes: Section[] = processFacts().map((p) => ({
    title: `${p.name} (\`${p.command}\`)`,
    intro: `${p.description} Owner: \`${p.owner}\`.`,
    schema: p.configSchema,
    env: true,
  }))
  const sinks: Section[] = SINK_TYPES.map((s) => ({
    title: `alerts: a sink of type \`${s.type}\``,
    intro: `${s.summary} These keys sit in an entry of \`sinks\`, next to the common keys.`,
    schema: s.configSchema,
    prefix: ['sinks', '[]'],
    env: false,
  }))
  return [
    ...processes,
    {
      title: 'alerts: keys of every sink',
      intro: 'Each entry of `sinks` has these keys, plus those of its type (below).',
      schema: commonSinkSchema,
      prefix: ['sinks', '[]'],
      env: false,
    },
    ...sinks,
    {
      title: 'local stack (`pulsewire stack`, `pulsewire up`)',
      intro: '`--config FILE`, else the file named by `PULSEWIRE_STACK_CONFIG`, else the defaults.',
      schema: stackConfigSchema,
      env: true,
    },
    {
      title: 'fleet file (`pulsewire sim`, `pulsewire up --fleet`)',
      intro: 'The simulated fleet (e.g. deploy/fleets/ward-and-factory.yaml); no environment overrides.',
      schema: fleetFileSchema,
      env: false,
    },
  ]
}

export function renderConfigReference(): string {
  const lines = [
    '<!-- GENERATED by `pulsewire catalog --write-docs` (npm run docs:gen) from the zod schemas. DO NOT EDIT. -->',
    '',
    '# Configuration reference',
    '',
    'Every process validates its file once at start and lists every problem with its path (exit 78);',
    'unknown keys are errors. Where the environment column names a variable, it overrides the file:',
    `\`${ENV_PREFIX}A__B=value\` sets \`a.b\` (segments in upper snake case, values read as YAML scalars).`,
    'Processes started together (`pulsewire processors`, `pulsewire up`) read one environment: a',
    'variable sets its key in each of them that has the key.',
    '',
  ]
  for (const section of sections()) {
    const sectionRows = configRows(section.schema, section.prefix, section.env)
    const hasEnv = sectionRows.some((r) => r.env)
    lines.push(`## ${section.title}`, '', section.intro, '')
    lines.push(
      hasEnv
        ? '| Key | Type | Default | Environment | Description |'
        : '| Key | Type | Default | Description |',
    )
    lines.push(hasEnv ? '| --- | --- | --- | --- | --- |' : '| --- | --- | --- | --- |')
    for (const row of sectionRows) {
      const value = row.default ? codeCell(row.default) : row.required ? '*required*' : ''
      const cells = [`\`${row.path}\``, cell(row.type), value]
      if (hasEnv) cells.push(row.env ? `\`${row.env}\`` : '')
      cells.push(cell(row.description))
      lines.push(`| ${cells.join(' | ')} |`)
    }
    lines.push('')
  }
  return lines.join('\n')
}
