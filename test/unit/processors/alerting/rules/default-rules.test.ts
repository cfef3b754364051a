import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { AlertEvent } from '../../../../../core/alerts/alert-event.js'
import type { DeviceType } from '../../../../../core/telemetry/envelope.js'
import { DEVICE_PROFILES } from '../../../../../devices-sim/profiles/index.js'
import { NO_EFFECTS, type SignalEffects } from '../../../../../devices-sim/profiles/profile.js'
import { createRng } from '../../../../../devices-sim/rng.js'
import { scenarioByType } from '../../../../../devices-sim/scenarios/index.js'
import { mergeSignalEffects } from '../../../../../devices-sim/runtime/effects.js'
import { createAlertEngine } from '../../../../../processors/alerting/engine/engine.js'
import { DEFAULT_RULES_FILE, loadRuleSet } from '../../../../../processors/alerting/rules/rule-set.js'
import { repoRoot } from '../../../../helpers/cli.js'
import { FakeClock } from '../../../../helpers/fake-clock.js'

const START_MS = Date.UTC(2026, 0, 15, 8)
const HOUR_MS = 3_600_000
const ruleSet = loadRuleSet(join(repoRoot, DEFAULT_RULES_FILE))

/** Runs one simulated device (and optional scenario) through the engine with the default rules. */
function simulate(
  type: DeviceType,
  durationMs: number,
  scenario?: { name: string; config?: unknown },
): AlertEvent[] {
  const profile = DEVICE_PROFILES.find((p) => p.type === type)
  if (!profile) throw new Error(type)
  const rng = createRng(7)
  const device = profile.create({
    deviceId: 'sim-1',
    config: profile.configSchema.parse({}),
    rng,
    startMs: START_MS,
  })
  const plugin = scenario && scenarioByType(scenario.name)
  const instance = plugin?.create({
    deviceId: 'sim-1',
    config: plugin.configSchema.parse(scenario?.config ?? {}),
    rng: rng.fork('scenario'),
    startMs: START_MS,
  })
  const engine = createAlertEngine({ ruleSet, clock: new FakeClock() })
  const info = { deviceId: 'sim-1', deviceType: type, subjectId: 'enc-sim' }
  const events: AlertEvent[] = []
  for (let t = START_MS, seq = 1; t <= START_MS + durationMs; t += device.reportIntervalMs, seq++) {
    const effects: SignalEffects = instance ? mergeSignalEffects([instance.signal(t)]) : NO_EFFECTS
    const samples = device.sample(t, effects)
    const envelope = {
      deviceId: 'sim-1',
      bootId: 'b',
      seq,
      deviceTsMs: t,
      deviceType: type,
      status: device.status(t),
      samples,
    }
    events.push(...engine.onTelemetry(envelope, info, t), ...engine.advance(t))
  }
  return events
}

const summary = (events: readonly AlertEvent[]): string[] =>
  events.map((e) => `${e.ruleId} ${e.transition} ${e.priority}`)

describe('processors > alerting > rules > default rules on simulated devices', () => {
  for (const type of [
    'bedside-monitor',
    'wearable',
    'infusion-pump',
    'environmental-sensor',
    'vibration-sensor',
  ] as const) {
    it(`stay quiet on a healthy ${type} for 2 h`, () => {
      expect(summary(simulate(type, 2 * HOUR_MS))).toEqual([])
    })
  }

  it('raise no physiological alarm for motion artefact alone (domain.md §1.4)', () => {
    const events = simulate('bedside-monitor', HOUR_MS, { name: 'motion-artefact' })
    expect(events.filter((e) => e.kind !== 'technical')).toEqual([])
  })

  it('follow a sepsis ramp with NEWS2 up to the high band', () => {
    const events = simulate('bedside-monitor', 7 * HOUR_MS, { name: 'sepsis' })
    const news2 = summary(events.filter((e) => e.ruleId === 'news2'))
    expect(news2[0]).toMatch(/^news2 raised (low|medium)$/)
    expect(news2).toContain('news2 escalated high')
  })
})
