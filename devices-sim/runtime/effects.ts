import type { SignalEffects } from '../profiles/profile.js'
import { NO_TRANSPORT_EFFECTS, type TransportEffects } from '../scenarios/scenario.js'

/** Combines the effects of every scenario active on a device: offsets add up, overrides and qualities last-wins. */
export function mergeSignalEffects(parts: readonly Partial<SignalEffects>[]): SignalEffects {
  const merged: SignalEffects = { offsets: {}, overrides: {}, quality: {}, batteryDrainPerHour: 0 }
  for (const part of parts) {
    for (const [metric, offset] of Object.entries(part.offsets ?? {})) {
      const key = metric as keyof SignalEffects['offsets']
      merged.offsets[key] = (merged.offsets[key] ?? 0) + (offset ?? 0)
    }
    Object.assign(merged.overrides, part.overrides)
    Object.assign(merged.quality, part.quality)
    merged.batteryDrainPerHour += part.batteryDrainPerHour ?? 0
  }
  return merged
}

export function mergeTransportEffects(parts: readonly Partial<TransportEffects>[]): TransportEffects {
  const merged: TransportEffects = { ...NO_TRANSPORT_EFFECTS }
  for (const part of parts) {
    merged.offline ||= part.offline ?? false
    merged.backfill ||= part.backfill ?? false
    merged.clockOffsetMs += part.clockOffsetMs ?? 0
    merged.duplicateProbability = Math.max(merged.duplicateProbability, part.duplicateProbability ?? 0)
    merged.reorderProbability = Math.max(merged.reorderProbability, part.reorderProbability ?? 0)
    merged.malformedProbability = Math.max(merged.malformedProbability, part.malformedProbability ?? 0)
  }
  return merged
}
