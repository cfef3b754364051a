import { METRICS, type MetricName } from '../../core/telemetry/metric-registry.js'

/** Number of decimals of a step such as 0.1 or 0.01, so results print without float noise. */
function decimalsOf(step: number): number {
  const text = step.toString()
  const exponent = /e-(\d+)$/.exec(text)
  if (exponent?.[1] !== undefined) return Number(exponent[1])
  return text.split('.')[1]?.length ?? 0
}

/** Rounds to a multiple of `step` (0.1 + 0.2 stays 0.3, not 0.30000000000000004). */
export function quantise(value: number, step: number): number {
  if (!(step > 0)) throw new RangeError(`step must be > 0 (${step})`)
  const rounded = Number((Math.round(value / step) * step).toFixed(decimalsOf(step)))
  return rounded === 0 ? 0 : rounded // no -0 on the wire
}

export function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value))
}

/** Clamps to the metric's measurement range: outside it the gateway rejects a sample (metric-registry). */
export function clampToRange(metric: MetricName, value: number): number {
  const [min, max] = METRICS[metric].range
  return clamp(value, min, max)
}

/** Quantises to the metric's device resolution (SpO2 integer %, temperature 0.1 °C; domain.md §1.1). */
export function quantiseToResolution(metric: MetricName, value: number): number {
  return quantise(value, METRICS[metric].resolution)
}

/**
 * The last step of the signal model (domain.md §1.3): clamp, then quantise. The range ends are
 * multiples of the resolution, so the result stays in range.
 */
export function toDeviceValue(metric: MetricName, value: number): number {
  return quantiseToResolution(metric, clampToRange(metric, value))
}
