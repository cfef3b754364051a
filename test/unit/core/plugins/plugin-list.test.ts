import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import {
  parsePluginList,
  type PluginListSpec,
  type PluginType,
} from '../../../../core/plugins/plugin-list.js'

const registry: PluginType[] = [
  {
    type: 'beep',
    summary: 'Beeps.',
    configSchema: z.strictObject({ volume: z.number().min(0).max(10).default(5).describe('Loudness.') }),
  },
  {
    type: 'blink',
    summary: 'Blinks.',
    configSchema: z.strictObject({ colour: z.enum(['red', 'green']).describe('Colour.') }),
  },
]

const flat: PluginListSpec<PluginType, z.ZodObject<{ type: z.ZodString; id: z.ZodString }>> = {
  kind: 'widget type',
  registry,
  typeKey: 'type',
  common: z.object({ type: z.string(), id: z.string().min(1) }),
  unique: { key: 'id', value: (common) => common.id, hint: 'ids are unique' },
}

const nested = {
  kind: 'widget',
  registry,
  typeKey: 'widget',
  configKey: 'config',
  common: z.object({ widget: z.string(), config: z.record(z.string(), z.unknown()).default({}) }),
} satisfies PluginListSpec<PluginType, z.ZodObject>

const paths = (issues: readonly { path: string; message: string }[]): string[] =>
  issues.map((issue) => `${issue.path}: ${issue.message}`)

describe('core > plugins > plugin list', () => {
  it('validates flat entries by their type, with defaults, in list order', () => {
    const { entries, issues } = parsePluginList(
      [
        { type: 'beep', id: 'a' },
        { type: 'blink', id: 'b', colour: 'red' },
      ],
      ['widgets'],
      flat,
    )
    expect(issues).toEqual([])
    expect(entries.map((e) => [e.index, e.plugin.type, e.config])).toEqual([
      [0, 'beep', { volume: 5 }],
      [1, 'blink', { colour: 'red' }],
    ])
    expect(entries[1]?.path).toEqual(['widgets', 1])
  })

  it('reports every problem with its full path: keys, values, unknown types, duplicates', () => {
    const { entries, issues } = parsePluginList(
      [
        { type: 'beep', id: 'a', volume: 11, volum: 1 },
        { type: 'buzz', id: 'b' },
        { type: 'blink' },
        'not an object',
        { type: 'beep', id: 'e' },
        { type: 'blink', id: 'e', colour: 'green' },
      ],
      ['panel', 2, 'widgets'],
      flat,
    )
    expect(entries.map((e) => e.index)).toEqual([4, 5])
    expect(paths(issues)).toEqual([
      expect.stringMatching(/^panel\.2\.widgets\.0\.volume: /),
      'panel.2.widgets.0.volum: unknown key (a typo, or a key of another widget type?)',
      'panel.2.widgets.1.type: unknown widget type "buzz" (known: beep, blink)',
      expect.stringMatching(/^panel\.2\.widgets\.2\.id: /),
      expect.stringMatching(/^panel\.2\.widgets\.3: /),
      'panel.2.widgets.5.id: "e" is used twice (also panel.2.widgets.4); ids are unique',
    ])
  })

  it('takes a nested config from its key, and rejects unknown keys beside it', () => {
    const ok = parsePluginList([{ widget: 'beep', config: { volume: 1 } }], ['w'], nested)
    expect(ok.entries[0]?.config).toEqual({ volume: 1 })
    const bad = parsePluginList(
      [
        { widget: 'beep', volume: 1 },
        { widget: 'blink', config: { colour: 'blue' } },
      ],
      ['w'],
      nested,
    )
    expect(paths(bad.issues)).toEqual([
      'w.0.volume: unknown key (a typo, or a key of another widget?)',
      expect.stringMatching(/^w\.1\.config\.colour: /),
    ])
  })
})
