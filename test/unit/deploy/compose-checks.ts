// Checks of deploy/compose.yaml and the Dockerfile without a Docker engine (issue #14, ADR 0021):
// each Pulsewire service's command against the real commander program (parsed, never run), its
// PULSEWIRE__ keys against the config schemas of that process, the image against the tree.
import { existsSync, readFileSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { dirname, resolve } from 'node:path'
import { Command } from 'commander'
import type { z } from 'zod'
import { applyEnvOverrides } from '../../../core/config/load.js'
import { COMMANDS } from '../../../cli/commands/index.js'

/** The leaf command an argv reaches, with its parsed options, or why commander refused it. */
export async function parseCommand(
  argv: readonly string[],
): Promise<{ path: string; options: Record<string, unknown> } | { error: string }> {
  const program = new Command('pulsewire')
  for (const register of COMMANDS) register(program)
  let reached: Command | undefined
  const errors: string[] = []
  const prepare = (cmd: Command): void => {
    cmd.exitOverride()
    cmd.configureOutput({ writeOut: () => undefined, writeErr: (text) => void errors.push(text.trim()) })
    // Leaves, and parents that run something themselves (`web` beside `web user add`), get a
    // stand-in action; a parent without one keeps none, so an unknown subcommand still fails.
    const runsItself = (cmd as unknown as { _actionHandler: unknown })._actionHandler != null
    if (cmd !== program && (cmd.commands.length === 0 || runsItself)) {
      cmd.action((...args: unknown[]) => {
        reached = args[args.length - 1] as Command
      })
    }
    for (const sub of cmd.commands) prepare(sub)
  }
  prepare(program)
  try {
    await program.parseAsync([...argv], { from: 'user' })
  } catch (err) {
    return { error: errors.join(' ') || String(err) }
  }
  if (!reached) return { error: `"${argv.join(' ')}" reaches no runnable command` }
  const path: string[] = []
  for (let cmd: Command | null = reached; cmd && cmd !== program; cmd = cmd.parent) path.unshift(cmd.name())
  return { path: path.join(' '), options: reached.opts() }
}

/** A compose `environment:` as a map (it may be a list of KEY=VALUE). */
export function environmentOf(service: Record<string, unknown>): Record<string, string> {
  const env = service.environment
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map((entry) => {
        const text = String(entry)
        const at = text.indexOf('=')
        return at < 0 ? [text, ''] : [text.slice(0, at), text.slice(at + 1)]
      }),
    )
  }
  if (env && typeof env === 'object') {
    return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? '' : String(v)]))
  }
  return {}
}

const topLevel = (schema: z.ZodType): Set<string> =>
  new Set(Object.keys((schema as unknown as { shape?: Record<string, unknown> }).shape ?? {}))

/** The config path an override sets, by the loader's own mapping (core/config/load.ts). */
export function overridePath(key: string): string[] {
  const path: string[] = []
  let node: unknown = applyEnvOverrides({}, { [key]: 'x' })
  while (node && typeof node === 'object') {
    const [segment, child] = Object.entries(node)[0] ?? []
    if (segment === undefined) break
    path.push(segment)
    node = child
  }
  return path
}

/**
 * What is wrong with a process's PULSEWIRE__ keys: one no schema of the process reads (the
 * loader would skip it silently), and every validation issue the overrides add to the defaults.
 */
export function envProblems(schemas: readonly z.ZodType[], env: Readonly<Record<string, string>>): string[] {
  const problems: string[] = []
  const keys = Object.keys(env).filter((key) => key.startsWith('PULSEWIRE__'))
  if (keys.length > 0 && schemas.length === 0) {
    return [`${keys.join(', ')}: this command reads no PULSEWIRE__ overrides`]
  }
  for (const key of keys) {
    const path = overridePath(key)
    if (path.length === 0 || !schemas.some((schema) => topLevel(schema).has(path[0] ?? ''))) {
      problems.push(`${key}: no config of this process has a section "${path[0] ?? ''}"`)
    }
  }
  const ours = Object.fromEntries(keys.map((key) => [key, env[key]]))
  for (const schema of schemas) {
    const known = topLevel(schema)
    const issueText = (issue: z.core.$ZodIssue): string =>
      `${issue.path.join('.')}: ${issue.message}${'keys' in issue ? ` (${issue.keys.join(', ')})` : ''}`
    const baseline = new Set((schema.safeParse({}).error?.issues ?? []).map(issueText))
    const result = schema.safeParse(applyEnvOverrides({}, ours, known))
    for (const text of (result.error?.issues ?? []).map(issueText)) {
      if (!baseline.has(text)) problems.push(text)
    }
  }
  return problems
}

export interface DockerInstruction {
  stage: string
  op: string
  args: string
}

/** Instructions with their stage (its AS name, or its index), continuation lines joined. */
export function dockerInstructions(text: string): DockerInstruction[] {
  const joined = text.replace(/\\\n/g, ' ')
  const out: DockerInstruction[] = []
  let stage = ''
  let index = 0
  for (const raw of joined.split('\n')) {
    const line = raw.trim()
    if (!line || line.startsWith('#')) continue
    const [op = '', ...rest] = line.split(/\s+/)
    const args = rest.join(' ')
    if (op.toUpperCase() === 'FROM') stage = / as (\S+)$/i.exec(args)?.[1] ?? String(index++)
    out.push({ stage, op: op.toUpperCase(), args })
  }
  return out
}

/** A COPY's flags, sources and destination. */
export function copyParts(args: string): { from?: string; sources: string[]; dest: string } {
  const words = args.split(/\s+/)
  const flags = words.filter((w) => w.startsWith('--'))
  const paths = words.filter((w) => !w.startsWith('--'))
  const from = flags.find((f) => f.startsWith('--from='))?.slice('--from='.length)
  return { ...(from ? { from } : {}), sources: paths.slice(0, -1), dest: paths[paths.length - 1] ?? '' }
}

/** Whether .dockerignore leaves a context path out (entries are names, dirs or `*.ext`). */
export function dockerIgnored(ignore: string, path: string): boolean {
  const entries = ignore
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
  const clean = path.replace(/^\.\//, '').replace(/\/$/, '')
  return entries.some((entry) =>
    entry.startsWith('*.')
      ? clean.endsWith(entry.slice(1))
      : clean === entry || clean.startsWith(`${entry}/`),
  )
}

/**
 * The bare packages the entrypoint's module graph imports (type-only imports aside): what the
 * runtime image's production node_modules must hold.
 */
export function runtimePackages(entry: string): Set<string> {
  const packages = new Set<string>()
  const seen = new Set<string>()
  const pattern =
    /(?:^|\n)\s*(?:import|export)\s+(?!type\s)(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g
  const visit = (file: string): void => {
    if (seen.has(file)) return
    seen.add(file)
    const text = readFileSync(file, 'utf8')
    for (const match of text.matchAll(pattern)) {
      const spec = match[1] ?? match[2] ?? ''
      if (spec.startsWith('.')) {
        const js = resolve(dirname(file), spec)
        const ts = js.replace(/\.js$/, '.ts')
        if (existsSync(ts)) visit(ts)
        else if (existsSync(js)) visit(js)
      } else if (!spec.startsWith('node:') && !builtinModules.includes(spec)) {
        const parts = spec.split('/')
        packages.add(spec.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? spec))
      }
    }
  }
  visit(entry)
  return packages
}
