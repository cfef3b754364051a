import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { z } from 'zod'
import { ConfigError } from '../../../../../core/errors.js'
import { RULE_TYPES } from '../../../../../processors/alerting/rules/index.js'
import { loadRuleSet, parseRuleSet } from '../../../../../processors/alerting/rules/rule-set.js'
import { repoRoot } from '../../../../helpers/cli.js'
import { RULE_FIXTURES } from '../fixture-runner.js'

const RULES_DIR = join(repoRoot, 'processors', 'alerting', 'rules')

/** Unwraps optional/default/array wrappers to the schema that holds fields. */
function inner(schema: z.ZodType): z.ZodType {
  if (schema instanceof z.ZodOptional || schema instanceof z.ZodDefault || schema instanceof z.ZodPrefault) {
    return inner(schema.unwrap() as z.ZodType)
  }
  if (schema instanceof z.ZodArray) return inner(schema.element as z.ZodType)
  return schema
}

/** Every object inside a config schema, with its path: union options, nested objects, array items. */
function objects(schema: z.ZodType, path = ''): [string, z.ZodObject][] {
  const s = inner(schema)
  if (s instanceof z.ZodUnion) return (s.options as z.ZodType[]).flatMap((o) => objects(o, path))
  if (!(s instanceof z.ZodObject)) return []
  return [
    [path || '(root)', s],
    ...Object.entries(s.shape).flatMap(([key, field]) => objects(field as z.ZodType, `${path}${key}.`)),
  ]
}

describe('processors > alerting > rules > registry contract', () => {
  it('has unique kebab-case types', () => {
    const types = RULE_TYPES.map((r) => r.type)
    expect(new Set(types).size).toBe(types.length)
    for (const type of types) expect(type).toMatch(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/)
  })

  for (const rule of RULE_TYPES) {
    describe(rule.type, () => {
      const folder = join(RULES_DIR, rule.type)
      const example = join(folder, 'example.yaml')

      it('lives in its own folder with <type>.ts, README.md and example.yaml', () => {
        for (const file of [`${rule.type}.ts`, 'README.md', 'example.yaml']) {
          expect(existsSync(join(folder, file)), file).toBe(true)
        }
      })

      it('has strict objects only, every field described', () => {
        const found = objects(rule.configSchema)
        expect(found.length).toBeGreaterThan(0)
        for (const [path, object] of found) {
          expect(object.def.catchall, `${path} must be a z.strictObject`).toBeInstanceOf(z.ZodNever)
          const undescribed = Object.entries(object.shape)
            .filter(([, field]) => !(field as z.ZodType).description)
            .map(([key]) => `${path === '(root)' ? '' : path}${key}`)
          expect(undescribed).toEqual([])
        }
      })

      it('documents every config key in its README', () => {
        const readme = readFileSync(join(folder, 'README.md'), 'utf8')
        for (const heading of ['## When it fires', '## Configuration', '## Edge cases'])
          expect(readme).toContain(heading)
        const keys = objects(rule.configSchema).flatMap(([, o]) => Object.keys(o.shape))
        const documented = (key: string): boolean =>
          new RegExp(`\`[^\`\\n]*\\b${key.replace(/[-]/g, '\\-')}\\b[^\`\\n]*\``).test(readme)
        for (const key of new Set(keys)) expect(documented(key), `${key} in README`).toBe(true)
      })

      it('has an example.yaml that parses and uses the type', () => {
        const set = loadRuleSet(example)
        expect(set.rules.some((r) => r.type === rule.type)).toBe(true)
      })

      it('rejects an unknown key in every example rule', () => {
        const raw = parse(readFileSync(example, 'utf8')) as { rules: Record<string, unknown>[] }
        raw.rules.forEach((entry, i) => {
          const typo = { ...raw, rules: raw.rules.map((r, j) => (j === i ? { ...entry, noSuchKey: 1 } : r)) }
          let error: unknown
          try {
            parseRuleSet(typo, 'example')
          } catch (err) {
            error = err
          }
          expect(error).toBeInstanceOf(ConfigError)
          expect((error as ConfigError).issues.map((issue) => issue.path)).toEqual([`rules.${i}.noSuchKey`])
        })
      })

      it('starts from a JSON-serialisable state its own schema accepts', () => {
        for (const definition of loadRuleSet(example).rules) {
          const state = definition.logic.initialState({
            deviceId: 'd',
            deviceType: definition.appliesTo[0] ?? 'wearable',
          })
          expect(state).not.toBeNull()
          const roundTripped: unknown = JSON.parse(JSON.stringify(state))
          expect(roundTripped).toEqual(state)
          expect(definition.logic.stateSchema.safeParse(roundTripped).success).toBe(true)
        }
      })

      it('has golden fixture cases', () => {
        const dir = join(RULE_FIXTURES, rule.type)
        expect(existsSync(dir) ? readdirSync(dir).length : 0).toBeGreaterThan(0)
      })
    })
  }
})
