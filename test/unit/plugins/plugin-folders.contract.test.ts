import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { z } from 'zod'
import { systemClock } from '../../../core/clock.js'
import {
  parsePluginList,
  type ConfigPath,
  type PluginListSpec,
  type PluginType,
} from '../../../core/plugins/plugin-list.js'
import { loadFleetFile, PROFILE_LIST, SCENARIO_LIST } from '../../../devices-sim/fleet/fleet-file.js'
import { loadRuleSet, RULE_LIST } from '../../../processors/alerting/rules/rule-set.js'
import { parseSinksConfig, SINK_LIST } from '../../../processors/sinks/config.js'
import { repoRoot } from '../../helpers/cli.js'

/** The lists of one kind in an example.yaml, each with where it sits in the file. */
type Lists = (doc: Record<string, unknown>) => { raw: unknown[]; path: ConfigPath }[]

interface Kind {
  name: string
  /** The kind folder, repository-relative: contract, registry (index.ts), shared helpers, plugin folders. */
  folder: string
  spec: PluginListSpec<PluginType, z.ZodObject>
  lists: Lists
  /** The kind's own file parser, over the whole example file (throws a ConfigError when invalid). */
  loadFile(file: string): unknown
}

const array = (value: unknown): unknown[] => (Array.isArray(value) ? (value as unknown[]) : [])
const groupsOf = (doc: Record<string, unknown>): Record<string, unknown>[] =>
  array(doc.groups) as Record<string, unknown>[]
const SINK_ENV = { HOOK_SECRET: 'h'.repeat(32), PULSEWIRE_MQTT_SECRET: 'm' }

const KINDS: Kind[] = [
  {
    name: 'alert rules',
    folder: 'processors/alerting/rules',
    spec: RULE_LIST,
    lists: (doc) => [{ raw: array(doc.rules), path: ['rules'] }],
    loadFile: loadRuleSet,
  },
  {
    name: 'alert sinks',
    folder: 'processors/sinks',
    spec: SINK_LIST,
    lists: (doc) => [{ raw: array(doc.sinks), path: ['sinks'] }],
    loadFile: (file) =>
      parseSinksConfig(parse(readFileSync(file, 'utf8')), file, {
        env: SINK_ENV,
        clock: systemClock,
        logger: () => pino({ level: 'silent' }),
      }),
  },
  {
    name: 'device profiles',
    folder: 'devices-sim/profiles',
    spec: PROFILE_LIST,
    lists: (doc) => [{ raw: groupsOf(doc), path: ['groups'] }],
    loadFile: loadFleetFile,
  },
  {
    name: 'scenarios',
    folder: 'devices-sim/scenarios',
    spec: SCENARIO_LIST,
    lists: (doc) =>
      groupsOf(doc).map((group, g) => ({ raw: array(group.scenarios), path: ['groups', g, 'scenarios'] })),
    loadFile: loadFleetFile,
  },
]

/** Top-level keys of a plugin's config schema (through a refine, which keeps the object). */
function configKeys(schema: z.ZodType): string[] {
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : []
}

describe('plugins > folder contract (rules, sinks, profiles, scenarios)', () => {
  for (const kind of KINDS) {
    describe(kind.name, () => {
      const kindDir = join(repoRoot, kind.folder)
      const types = kind.spec.registry.map((plugin) => plugin.type)

      it('has one folder per registry line and a registry line per folder', () => {
        const folders = readdirSync(kindDir, { withFileTypes: true })
          .filter((entry) => entry.isDirectory())
          .map((entry) => entry.name)
        expect([...folders].sort()).toEqual([...types].sort())
        expect(new Set(types).size).toBe(types.length)
      })

      for (const plugin of kind.spec.registry) {
        describe(plugin.type, () => {
          const folder = join(kindDir, plugin.type)
          const example = join(folder, 'example.yaml')

          it('is a kebab-case type in a folder of its name with <type>.ts, README.md and example.yaml', () => {
            expect(plugin.type).toMatch(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/)
            for (const file of [`${plugin.type}.ts`, 'README.md', 'example.yaml'])
              expect(existsSync(join(folder, file)), `${kind.folder}/${plugin.type}/${file}`).toBe(true)
            expect(plugin.summary.length).toBeGreaterThan(10)
          })

          it('documents every config key in its README', () => {
            const readme = readFileSync(join(folder, 'README.md'), 'utf8')
            for (const key of configKeys(plugin.configSchema)) expect(readme, key).toContain(`\`${key}`)
          })

          it('has an example.yaml that the one plugin-list parser accepts, using this plugin', () => {
            const doc = parse(readFileSync(example, 'utf8')) as Record<string, unknown>
            const lists = kind.lists(doc)
            const results = lists.map(({ raw, path }) => parsePluginList(raw, path, kind.spec))
            expect(results.flatMap((r) => r.issues)).toEqual([])
            const used = results.flatMap((r) => r.entries.map((e) => e.plugin.type))
            expect(used).toContain(plugin.type)
          })

          it('has an example.yaml that its kind’s file parser accepts as a whole', () => {
            expect(() => kind.loadFile(example)).not.toThrow()
          })
        })
      }
    })
  }
})
