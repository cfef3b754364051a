import { METRICS, type MetricName } from '../../../core/telemetry/metric-registry.js'

/** Human-readable pieces of alert messages ("SpO2 86 % < 90 % for 15 s"). */

const UNIT_LABELS: Readonly<Record<string, string>> = {
  '%': '%',
  '/min': '/min',
  Cel: '°C',
  'mm[Hg]': 'mmHg',
  'mm/s': 'mm/s',
  'mL/h': 'mL/h',
  mL: 'mL',
  hPa: 'hPa',
  '{state}': '',
}

export function unitLabel(metric: MetricName): string {
  const ucum = METRICS[metric].ucum
  return UNIT_LABELS[ucum] ?? ucum
}

/** A value rounded to the metric's device resolution, without trailing zeros. */
export function formatNumber(metric: MetricName, value: number): string {
  const resolution = METRICS[metric].resolution
  const decimals = resolution >= 1 ? 0 : Math.min(3, Math.ceil(-Math.log10(resolution)))
  return String(Number(value.toFixed(decimals)))
}

/** "86 %", "38.4 °C", "120 /min". */
export function formatValue(metric: MetricName, value: number): string {
  const unit = unitLabel(metric)
  return unit ? `${formatNumber(metric, value)} ${unit}` : formatNumber(metric, value)
}

/** "15 s", "5 min", "4 h", "1.5 s". */
export function formatDuration(ms: number): string {
  if (ms >= 3_600_000 && ms % 3_600_000 === 0) return `${ms / 3_600_000} h`
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000} min`
  return `${Number((ms / 1000).toFixed(3))} s`
}

export const metricLabel = (metric: MetricName): string => METRICS[metric].label
