/**
 * The NEWS2 scoring table (Royal College of Physicians 2017; domain.md §1.5). Cut points are
 * written for continuous values, so a median between two integer bands scores like the band
 * it lies in above the lower edge (RR 8.5 scores as 9–11).
 */

export const NEWS2_PARAMETERS = ['respiration', 'spo2', 'systolic', 'pulse', 'temperature'] as const
export type News2Parameter = (typeof NEWS2_PARAMETERS)[number]

export const CONSCIOUSNESS_LEVELS = ['alert', 'new-confusion', 'voice', 'pain', 'unresponsive'] as const
export type Consciousness = (typeof CONSCIOUSNESS_LEVELS)[number]

export function scoreRespiration(rate: number): number {
  if (rate <= 8) return 3
  if (rate < 12) return 1
  if (rate <= 20) return 0
  if (rate < 25) return 2
  return 3
}

/** Scale 1 (target 94–98 %). */
export function scoreSpo2Scale1(spo2: number): number {
  if (spo2 <= 91) return 3
  if (spo2 < 94) return 2
  if (spo2 < 96) return 1
  return 0
}

/** Scale 2 (target 88–92 %, hypercapnic respiratory failure): high values score only on oxygen. */
export function scoreSpo2Scale2(spo2: number, onOxygen: boolean): number {
  if (spo2 <= 83) return 3
  if (spo2 < 86) return 2
  if (spo2 < 88) return 1
  if (spo2 < 93 || !onOxygen) return 0
  if (spo2 < 95) return 1
  if (spo2 < 97) return 2
  return 3
}

export function scoreSystolic(sbp: number): number {
  if (sbp <= 90) return 3
  if (sbp <= 100) return 2
  if (sbp <= 110) return 1
  if (sbp < 220) return 0
  return 3
}

export function scorePulse(pulse: number): number {
  if (pulse <= 40) return 3
  if (pulse <= 50) return 1
  if (pulse <= 90) return 0
  if (pulse <= 110) return 1
  if (pulse <= 130) return 2
  return 3
}

export function scoreTemperature(celsius: number): number {
  if (celsius <= 35) return 3
  if (celsius <= 36) return 1
  if (celsius <= 38) return 0
  if (celsius <= 39) return 1
  return 2
}

export const scoreConsciousness = (level: Consciousness): number => (level === 'alert' ? 0 : 3)
export const scoreOxygen = (onOxygen: boolean): number => (onOxygen ? 2 : 0)

/** Clinical risk bands (§1.5 trigger table); `single` = a 3 in one parameter with an aggregate below 5. */
export type News2Band = 'low' | 'single' | 'medium' | 'high'

export function news2Band(aggregate: number, anyThree: boolean): News2Band {
  if (aggregate >= 7) return 'high'
  if (aggregate >= 5) return 'medium'
  return anyThree ? 'single' : 'low'
}

/** The aggregate at which a band starts (the `limit` of a score alert). */
export const BAND_LIMITS: Readonly<Record<News2Band, number>> = { low: 0, single: 3, medium: 5, high: 7 }
