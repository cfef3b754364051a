import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { ConfigError, type ConfigIssue } from '../../../../../core/errors.js'
import {
  DEFAULT_RULES_FILE,
  loadRuleSet,
  parseRuleSet,
  RULE_DEVICE_TYPES,
} from '../../../../../processors/alerting/rules/rule-set.js'
import { repoRoot } from '../../../../helpers/cli.js'

function issuesOf(yaml: string): ConfigIssue[] {
  try {
    parseRuleSet(parse(yaml), 'rules.yaml')
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError)
    return [...(err as ConfigError).issues]
  }
  throw new Error('expected a ConfigError')
}

const paths = (yaml: string): string[] => issuesOf(yaml).map((i) => i.path)

const threshold = (extra: string, direction = 'below', levels = '[{ limit: 90, priority: medium }]') => `
version: 1
rules:
  - id: spo2-low
    type: threshold
    appliesTo: [bedside-monitor]
    metric: spo2
    direction: ${direction}
    levels: ${levels}
${extra}`

describe('processors > alerting > rules > rule set', () => {
  it('parses the default rule file, with comm-loss for every device type', () => {
    const set = loadRuleSet(join(repoRoot, DEFAULT_RULES_FILE))
    expect(set.rules.length).toBeGreaterThan(20)
    for (const type of RULE_DEVICE_TYPES) {
      const types = set.rules.filter((r) => r.appliesTo.includes(type)).map((r) => r.type)
      expect(types, type).toContain('missing-data')
    }
    expect(Object.isFrozen(set.rules)).toBe(true)
  })

  it('rejects unknown keys at the top and in a rule', () => {
    expect(paths('version: 1\nrules: []\nrulez: []')).toEqual(['rulez'])
    expect(paths(threshold('    clearLimt: 92'))).toEqual(['rules.0.clearLimt'])
    expect(paths(threshold('', 'below', '[{ limit: 90, priority: medium, dealyMs: 5 }]'))).toEqual([
      'rules.0.levels.0.dealyMs',
    ])
  })

  it('rejects an unknown type, naming the known ones', () => {
    const [issue] = issuesOf(threshold('').replace('type: threshold', 'type: treshold'))
    expect(issue).toMatchObject({ path: 'rules.0.type' })
    expect(issue?.message).toContain('unknown rule type "treshold" (known: threshold, rate-of-change')
  })

  it('rejects a bad metric, device type or id', () => {
    expect(paths(threshold('').replace('metric: spo2', 'metric: sp02'))).toEqual(['rules.0.metric'])
    expect(paths(threshold('').replace('[bedside-monitor]', '[bedside-monitor, toaster]'))).toEqual([
      'rules.0.appliesTo.1',
    ])
    expect(paths(threshold('').replace('id: spo2-low', 'id: SpO2/low'))).toEqual(['rules.0.id'])
  })

  it('rejects inconsistent limits within a rule', () => {
    expect(paths(threshold('    clearLimit: 88'))).toEqual(['rules.0.clearLimit'])
    expect(paths(threshold('    clearLimit: 98', 'above', '[{ limit: 95, priority: low }]'))).toEqual([
      'rules.0.clearLimit',
    ])
    const wrongOrder = '[{ limit: 85, priority: medium }, { limit: 90, priority: medium }]'
    expect(paths(threshold('', 'below', wrongOrder))).toEqual([
      'rules.0.levels.1.limit',
      'rules.0.levels.1.priority',
    ])
    expect(paths(threshold('', 'below', '[{ limit: 120, priority: low }]'))).toEqual([
      'rules.0.levels.0.limit',
    ])
    expect(
      paths(threshold('    kind: technical', 'below', '[{ limit: 90, priority: high, latching: true }]')),
    ).toEqual(['rules.0.levels.0.latching'])
  })

  it('rejects a low limit at or above a high limit of the same metric and device type', () => {
    const yaml = `${threshold('')}
  - id: spo2-high
    type: threshold
    appliesTo: [wearable, bedside-monitor]
    metric: spo2
    direction: above
    levels: [{ limit: 90, priority: low }]
  - id: spo2-high-wearable-only
    type: threshold
    appliesTo: [wearable]
    metric: spo2
    direction: above
    levels: [{ limit: 50, priority: low }]`
    const issues = issuesOf(yaml)
    expect(issues).toEqual([
      {
        path: 'rules.0.levels.0.limit',
        message:
          'low limit 90 of "spo2-low" is not below the high limit 90 of "spo2-high" (spo2 on bedside-monitor)',
      },
    ])
  })

  it('rejects duplicate ids and reports every problem at once', () => {
    const yaml = `${threshold('')}
  - id: spo2-low
    type: rate-of-change
    appliesTo: [bedside-monitor]
    metric: heart_rate
    direction: rising
    change: 30
    windowMs: 600000
    clearChange: 40
  - id: battery
    type: technical
    appliesTo: [wearable]
    condition: battery
    stages: [{ belowPct: 10, priority: low }, { belowPct: 20, priority: high }]
  - id: news
    type: news2
    appliesTo: [wearable]
    parameters: [spo2, spo2]
  - id: stale
    type: missing-data
    appliesTo: [wearable]
    missedIntervals: 0
  - just a string`
    expect(paths(yaml)).toEqual([
      'rules.1.clearChange',
      'rules.2.stages.1.belowPct',
      'rules.3.parameters.1',
      'rules.4.missedIntervals',
      'rules.5',
    ])
    expect(paths(yaml.replace('clearChange: 40', 'clearChange: 10'))).toContain('rules.1.id')
  })

  it('reports an unreadable file and a missing version as ConfigErrors', () => {
    expect(() => loadRuleSet('/nonexistent/rules.yaml')).toThrow(/cannot read file/)
    expect(paths('rules: []')).toEqual(['version'])
  })

  it('leaves disabled rules out of the set', () => {
    const set = parseRuleSet(parse(threshold('    enabled: false')), 'rules.yaml')
    expect(set.rules).toEqual([])
  })
})
