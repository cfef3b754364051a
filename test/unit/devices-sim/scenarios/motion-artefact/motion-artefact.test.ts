import { describe, expect, it } from 'vitest'
import { bedsideMonitorProfile } from '../../../../../devices-sim/profiles/bedside-monitor/bedside-monitor.js'
import { NO_EFFECTS } from '../../../../../devices-sim/profiles/profile.js'
import { motionArtefactScenario } from '../../../../../devices-sim/scenarios/motion-artefact/motion-artefact.js'
import { ofMetric, runProfile } from '../../profiles/run-profile.js'
import { allEvents, HOUR_MS, instantiate, START_MS } from '../run-scenario.js'

describe('devices-sim > scenarios > motion-artefact', () => {
  const instance = instantiate(motionArtefactScenario, {})
  const events = allEvents(instance)

  it('repeats 8-s artefacts, each flagged non-physiological in ground truth', () => {
    expect(events.length).toBeGreaterThanOrEqual(6)
    expect(events[0]?.atMs).toBe(START_MS)
    for (const e of events) {
      expect(e.event).toBe('motion-artefact')
      expect(e.detail).toMatchObject({ physiological: false, durationMs: 8000 })
      expect(e.atMs).toBeLessThan(START_MS + HOUR_MS)
    }
  })

  it('only overrides SpO2 (~82 %) with quality motion, inside the artefact', () => {
    for (const e of events) {
      const effects = instance.signal(e.atMs + 4000)
      expect(Object.keys(effects).sort()).toEqual(['overrides', 'quality'])
      expect(Object.keys(effects.overrides ?? {})).toEqual(['spo2'])
      expect(effects.overrides?.spo2).toBeGreaterThanOrEqual(80)
      expect(effects.overrides?.spo2).toBeLessThanOrEqual(84)
      expect(effects.quality).toEqual({ spo2: 'motion' })
      expect(instance.signal(e.atMs + 8000)).toEqual({})
    }
  })

  it('leaves HR and RR samples exactly as without the scenario', () => {
    const run = (withScenario: boolean) =>
      runProfile(
        bedsideMonitorProfile,
        {},
        {
          durationMs: 1_200_000,
          effects: (t) => (withScenario ? { ...NO_EFFECTS, ...instance.signal(t) } : NO_EFFECTS),
        },
      )
    const plain = run(false)
    const hit = run(true)
    for (const metric of ['heart_rate', 'respiration_rate', 'pulse_rate'] as const) {
      expect(ofMetric(hit, metric)).toEqual(ofMetric(plain, metric))
    }
    const motion = ofMetric(hit, 'spo2').filter((s) => s.quality === 'motion')
    expect(motion.length).toBeGreaterThanOrEqual(8)
    expect(motion.every((s) => s.value <= 84)).toBe(true)
  })
})
