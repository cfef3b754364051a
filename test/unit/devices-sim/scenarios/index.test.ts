import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { profileByType } from '../../../../devices-sim/profiles/index.js'
import { NO_EFFECTS, type DeviceProfile } from '../../../../devices-sim/profiles/profile.js'
import { SCENARIOS, scenarioByType } from '../../../../devices-sim/scenarios/index.js'
import { ALL_DEVICE_TYPES } from '../../../../devices-sim/scenarios/timeline.js'
import { expectWellFormed, runProfile } from '../profiles/run-profile.js'
import { expectPluginConfigContract } from '../registry-contract.js'
import { allEvents, HOUR_MS, instantiate, START_MS } from './run-scenario.js'

describe('devices-sim > scenarios > index', () => {
  it('has unique kebab-case names, each the name of its file', () => {
    const names = SCENARIOS.map((s) => s.type)
    expect(new Set(names).size).toBe(names.length)
    for (const name of names) {
      expect(name).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/)
      expect(
        existsSync(
          fileURLToPath(new URL(`../../../../devices-sim/scenarios/${name}/${name}.ts`, import.meta.url)),
        ),
      ).toBe(true)
    }
    expect(scenarioByType('no-such-scenario')).toBeUndefined()
  })

  describe.each(SCENARIOS.map((s) => [s.type, s] as const))('%s', (name, scenario) => {
    it('honours the config contract and applies to real device types', () => {
      expectPluginConfigContract(scenario.configSchema)
      expect(scenarioByType(name)).toBe(scenario)
      expect(scenario.appliesTo.length).toBeGreaterThan(0)
      expect(scenario.appliesTo.every((t) => ALL_DEVICE_TYPES.includes(t))).toBe(true)
      expect(scenario.summary.length).toBeGreaterThan(10)
    })

    it('is pure and deterministic: effects depend only on time, events are ordered and labelled', () => {
      const a = instantiate(scenario, {}, 42)
      const b = instantiate(scenario, {}, 42)
      const times = [START_MS + 7 * HOUR_MS, START_MS, START_MS + 90_000, START_MS + 3 * HOUR_MS + 1234]
      for (const t of times) {
        expect(a.signal(t)).toEqual(b.signal(t))
        expect(a.signal(t)).toEqual(a.signal(t))
        expect(a.transport(t)).toEqual(b.transport(t))
      }
      const events = allEvents(a)
      expect(events.length).toBeGreaterThan(0)
      expect(events).toEqual(allEvents(b))
      expect(events.map((e) => e.atMs)).toEqual([...events.map((e) => e.atMs)].sort((x, y) => x - y))
      expect(
        events.every((e) => e.scenario === name && e.deviceId === 'dev-0001' && e.atMs >= START_MS),
      ).toBe(true)
      expect(a.events(START_MS - HOUR_MS, START_MS - 1)).toEqual([])
    })

    it.each(scenario.appliesTo.map((t) => [t]))('keeps %s samples well-formed under its effects', (type) => {
      const profile = profileByType(type) as DeviceProfile
      const instance = instantiate(scenario, {})
      const samples = runProfile(
        profile,
        {},
        {
          durationMs: 20 * 60_000,
          stepMs: 10_000,
          effects: (t) => ({ ...NO_EFFECTS, ...instance.signal(t) }),
        },
      )
      expectWellFormed(samples)
    })
  })
})
