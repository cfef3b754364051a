import { describe, expect, it } from 'vitest'
import { createChannelSampler, toSample, type Channel } from '../../../../devices-sim/profiles/channels.js'
import { NO_EFFECTS } from '../../../../devices-sim/profiles/profile.js'
import { withEffects } from './run-profile.js'

describe('devices-sim > profiles > channels', () => {
  it('turns a reading into a sample: offset before quantise, override wins, default quality valid', () => {
    expect(toSample({ metric: 'body_temperature', value: 37.04 }, 5, NO_EFFECTS)).toEqual({
      metric: 'body_temperature',
      value: 37,
      ucum: 'Cel',
      quality: 'valid',
      tsMs: 5,
      backfill: false,
    })
    const effects = withEffects({ offsets: { spo2: -0.4, heart_rate: 10 }, overrides: { heart_rate: 55 } })
    expect(toSample({ metric: 'spo2', value: 96.8 }, 0, effects).value).toBe(96)
    expect(toSample({ metric: 'heart_rate', value: 80 }, 0, effects).value).toBe(55)
  })

  it('sends no reading with probe_off: 0, or the range minimum where 0 is out of range', () => {
    const off = withEffects({ quality: { spo2: 'probe_off', body_temperature: 'probe_off' } })
    expect(toSample({ metric: 'spo2', value: 97 }, 0, off)).toMatchObject({ value: 0, quality: 'probe_off' })
    expect(toSample({ metric: 'body_temperature', value: 37 }, 0, off)).toMatchObject({
      value: 25,
      quality: 'probe_off',
    })
  })

  it('acquires each channel at start + k·period, in (last call, now], ordered by time', () => {
    const calls: number[] = []
    const fast: Channel = {
      periodMs: 1000,
      acquire: (t) => (calls.push(t), [{ metric: 'heart_rate', value: 60 }]),
    }
    const slow: Channel = { periodMs: 2500, acquire: () => [{ metric: 'battery_level', value: 50 }] }
    const sampler = createChannelSampler(10_000, [slow, fast])
    expect(sampler.sample(9999, NO_EFFECTS)).toEqual([])
    const first = sampler.sample(12_600, NO_EFFECTS)
    expect(first.map((s) => [s.tsMs - 10_000, s.metric])).toEqual([
      [0, 'battery_level'],
      [0, 'heart_rate'],
      [1000, 'heart_rate'],
      [2000, 'heart_rate'],
      [2500, 'battery_level'],
    ])
    expect(sampler.sample(12_600, NO_EFFECTS)).toEqual([])
    expect(sampler.sample(13_000, NO_EFFECTS).map((s) => s.tsMs)).toEqual([13_000])
    expect(calls).toEqual([10_000, 11_000, 12_000, 13_000])
  })

  it('stamps whole milliseconds even when a runner staggers starts by fractions', () => {
    const channel: Channel = { periodMs: 1000, acquire: () => [{ metric: 'heart_rate', value: 60 }] }
    const sampler = createChannelSampler(1003.4, [channel])
    expect(sampler.sample(3003.4, NO_EFFECTS).map((s) => s.tsMs)).toEqual([1003, 2003, 3003])
  })
})
