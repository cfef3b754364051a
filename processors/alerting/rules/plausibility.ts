import type { Quality } from '../../../core/telemetry/envelope.js'
import type { MetricName } from '../../../core/telemetry/metric-registry.js'

/**
 * Physiologically possible values of a vital sign, for readings that carry **no quality flag**
 * (quality `unspecified`, as monitor numerics exports send them). Outside its range such a reading
 * is a signal dropout, not the patient: it never raises, sustains or clears a physiological or score
 * alarm, and the `no-signal` rule raises a technical alarm instead. A reading the device flags
 * `valid` is the device's own evidence (a monitor that runs arrhythmia analysis may report HR 0 in
 * asystole) and is not judged here; the gateway's measurement ranges (metric-registry.ts) apply to
 * every reading. Metrics without a row are always plausible.
 *
 * Inclusive bounds. Sources: domain.md (/work/shared/docs/domain.md) sections in brackets; [eng] marks
 * an engineering judgement where no source gives a number.
 */
export const PLAUSIBLE_RANGES: Readonly<Partial<Record<MetricName, readonly [number, number]>>> = {
  // Heart rate 0 cannot be told from lead-off without ECG evidence (asystole is an arrhythmia
  // algorithm output, §1.4), and numerics carry none: no signal (technical). Monitor HR limits:
  // defaults low 50, auto-limit floor 40, high limit up to 300 (§1.1 [M1, M2, M5, M6]); below
  // 20 /min an unflagged value is taken as no signal [eng].
  heart_rate: [20, 300],
  // Pulse rate from the oximeter: same bounds as heart rate (§1.1 [M2, M3]).
  pulse_rate: [20, 300],
  // SpO2 0 % means no pleth signal (probe off, no perfusion; §1.3 [A1, M11]). Oximeter alarm limits
  // go down to 80-85 % (§1.1 [M1, M4]); below 20 % no reading is a measurement [eng].
  spo2: [20, 100],
  // Respiration rate 0 is apnoea, a real reading (§1.1 apnea alarm [M6], §1.3 "apnea periods
  // (RR -> 0)"): plausible down to 0. Upper bound: the gateway's measurement range.
  respiration_rate: [0, 150],
  // NIBP: a failed cuff cycle reports 0 (§1.2 [M8, M10]: not measurable with HR < 40, motion,
  // arrhythmia). Bounds below any pressure compatible with a measurable oscillometric reading [eng].
  nibp_systolic: [30, 300],
  nibp_diastolic: [10, 250],
  nibp_mean: [20, 260],
  // Body temperature: the gateway's range already rejects the rest (probe dislodged falls toward
  // ambient, §1.3); kept here so the table is the one place to read what a vital sign may be.
  body_temperature: [25, 45],
}

/** Whether an unflagged reading of `metric` could be a measurement of a living patient. */
export function isPlausible(metric: MetricName, value: number): boolean {
  const range = PLAUSIBLE_RANGES[metric]
  return !range || (value >= range[0] && value <= range[1])
}

/**
 * Whether a reading may raise or sustain a physiological alarm: flagged valid, or unflagged and
 * plausible (domain.md §2.4 item 1; feeds without quality flags must still alarm).
 */
export function isMeasurement(metric: MetricName, value: number, quality: Quality): boolean {
  if (quality === 'valid') return true
  return quality === 'unspecified' && isPlausible(metric, value)
}

/** An unflagged reading outside its plausible range: what the `no-signal` rule watches. */
export function isNoSignal(metric: MetricName, value: number, quality: Quality): boolean {
  return quality === 'unspecified' && !isPlausible(metric, value)
}
