import { describe, expect, it } from 'vitest'
import { ConfigError } from '../../../../core/errors.js'
import { loadFleetFile, parseFleet } from '../../../../devices-sim/fleet/fleet-file.js'
import { planDevices } from '../../../../devices-sim/runtime/fleet-runner.js'
import { repoRoot } from '../../../helpers/cli.js'

function issues(raw: unknown): string[] {
  try {
    parseFleet(raw, 'test.yaml')
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map((i) => `${i.path}: ${i.message}`)
    throw err
  }
  return []
}

describe('devices-sim > fleet > fleet file', () => {
  it('resolves profiles, scenarios and their own configs, with ids in fleet order', () => {
    const fleet = parseFleet(
      {
        seed: 3,
        groups: [
          { profile: 'wearable', count: 2, scenarios: [{ scenario: 'probe-off', devices: 1 }] },
          { profile: 'vibration-sensor', count: 1 },
        ],
      },
      'test.yaml',
    )
    expect(fleet.groups.map((g) => g.profile.type)).toEqual(['wearable', 'vibration-sensor'])
    expect(fleet.groups[0]?.scenarios[0]?.scenario.type).toBe('probe-off')
    expect(planDevices(fleet).map((d) => d.deviceId)).toEqual(['wr-0001', 'wr-0002', 'vib-0001'])
  })

  it('reports every problem with its path: unknown keys, scenarios, misfits and bad plugin configs', () => {
    const problems = issues({
      groups: [
        {
          profile: 'wearable',
          count: 2,
          colour: 'red',
          config: { reportIntervalMs: -1 },
          scenarios: [{ scenario: 'zombies' }],
        },
        { profile: 'vibration-sensor', count: 1, scenarios: [{ scenario: 'sepsis', devices: 5 }] },
      ],
    })
    expect(problems).toEqual([expect.stringMatching(/^groups\.0\.colour: unknown key/)])
    const deeper = issues({
      groups: [
        {
          profile: 'wearable',
          count: 2,
          config: { reportIntervalMs: -1 },
          scenarios: [{ scenario: 'zombies' }],
        },
        { profile: 'vibration-sensor', count: 1, scenarios: [{ scenario: 'sepsis', devices: 5 }] },
      ],
    })
    expect(deeper.map((p) => p.split(':')[0])).toEqual([
      'groups.0.scenarios.0.scenario',
      'groups.0.config.reportIntervalMs',
      'groups.1.scenarios.0.scenario',
      'groups.1.scenarios.0.devices',
    ])
  })

  it('names the known profiles for an unknown one, and refuses two groups with one idPrefix', () => {
    expect(issues({ groups: [{ profile: 'toaster', count: 1 }] })).toEqual([
      'groups.0.profile: unknown profile "toaster" (known: bedside-monitor, wearable, infusion-pump, environmental-sensor, vibration-sensor)',
    ])
    expect(
      issues({
        groups: [
          { profile: 'wearable', count: 1 },
          { profile: 'wearable', count: 2 },
        ],
      }),
    ).toEqual([expect.stringMatching(/^groups\.1\.idPrefix: "wr-" is used twice \(also groups\.0\)/)])
  })

  it('parses the fleets that ship with the repository', () => {
    expect(planDevices(loadFleetFile(`${repoRoot}/deploy/fleets/ward-and-factory.yaml`))).toHaveLength(56)
    expect(planDevices(loadFleetFile(`${repoRoot}/test/fixtures/fleets/thousand.yaml`))).toHaveLength(1_000)
  })
})
