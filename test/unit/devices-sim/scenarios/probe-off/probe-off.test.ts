import { describe, expect, it } from 'vitest'
import { bedsideMonitorProfile } from '../../../../../devices-sim/profiles/bedside-monitor/bedside-monitor.js'
import { NO_EFFECTS } from '../../../../../devices-sim/profiles/profile.js'
import { probeOffScenario } from '../../../../../devices-sim/scenarios/probe-off/probe-off.js'
import { ofMetric, runProfile } from '../../profiles/run-profile.js'
import { allEvents, instantiate, START_MS, timeline } from '../run-scenario.js'

describe('devices-sim > scenarios > probe-off', () => {
  const instance = instantiate(probeOffScenario, {})

  it('is off for 3 min from startAfterMs (default 1 min), then back on', () => {
    expect(timeline(allEvents(instance))).toEqual([
      [60_000, 'probe-off'],
      [240_000, 'probe-on'],
    ])
    expect(instance.signal(START_MS + 59_999)).toEqual({})
    expect(instance.signal(START_MS + 60_000)).toEqual({
      quality: { spo2: 'probe_off', pulse_rate: 'probe_off' },
    })
    expect(instance.signal(START_MS + 239_999).quality?.spo2).toBe('probe_off')
    expect(instance.signal(START_MS + 240_000)).toEqual({})
  })

  it('gives SpO2 and pulse-rate samples quality probe_off (value 0) in its window only', () => {
    const samples = runProfile(
      bedsideMonitorProfile,
      {},
      {
        durationMs: 300_000,
        effects: (t) => ({ ...NO_EFFECTS, ...instance.signal(t) }),
      },
    )
    for (const metric of ['spo2', 'pulse_rate'] as const) {
      for (const s of ofMetric(samples, metric)) {
        const inside = s.tsMs >= START_MS + 60_000 && s.tsMs < START_MS + 240_000
        expect(s.quality).toBe(inside ? 'probe_off' : 'valid')
        if (inside) expect(s.value).toBe(0)
      }
    }
    expect(ofMetric(samples, 'heart_rate').every((s) => s.quality === 'valid')).toBe(true)
  })

  it('takes its metrics and window from config', () => {
    const custom = instantiate(probeOffScenario, { startAfterMs: 0, durationMs: 1000, metrics: ['spo2'] })
    expect(custom.signal(START_MS)).toEqual({ quality: { spo2: 'probe_off' } })
    expect(custom.signal(START_MS + 1000)).toEqual({})
  })
})
