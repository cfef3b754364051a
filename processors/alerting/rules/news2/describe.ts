import type { MetricName } from '../../../../core/telemetry/metric-registry.js'
import { formatValue } from '../format.js'
import type { News2Config } from './news2.js'
import {
  NEWS2_PARAMETERS,
  scoreConsciousness,
  scoreOxygen,
  scorePulse,
  scoreRespiration,
  scoreSpo2Scale1,
  scoreSpo2Scale2,
  scoreSystolic,
  scoreTemperature,
  type News2Band,
  type News2Parameter,
} from './score.js'

export type Inputs = Partial<Record<News2Parameter, number>>

export interface ScoredInputs {
  parts: { parameter: News2Parameter; value: number; score: number }[]
  aggregate: number
  anyThree: boolean
}

type ScoreConfig = Pick<News2Config, 'spo2Scale' | 'onOxygen' | 'consciousness'>

function scoreOf(p: News2Parameter, value: number, config: ScoreConfig): number {
  switch (p) {
    case 'respiration':
      return scoreRespiration(value)
    case 'spo2':
      return config.spo2Scale === 2 ? scoreSpo2Scale2(value, config.onOxygen) : scoreSpo2Scale1(value)
    case 'systolic':
      return scoreSystolic(value)
    case 'pulse':
      return scorePulse(value)
    case 'temperature':
      return scoreTemperature(value)
  }
}

export function scoreInputs(inputs: Inputs, config: ScoreConfig): ScoredInputs {
  const parts = NEWS2_PARAMETERS.flatMap((parameter) => {
    const value = inputs[parameter]
    return value === undefined ? [] : [{ parameter, value, score: scoreOf(parameter, value, config) }]
  })
  const manual = [scoreConsciousness(config.consciousness), scoreOxygen(config.onOxygen)]
  const all = [...parts.map((p) => p.score), ...manual]
  return {
    parts,
    aggregate: all.reduce((sum, s) => sum + s, 0),
    anyThree: all.some((s) => s === 3),
  }
}

const LABELS: Readonly<Record<News2Parameter, [string, MetricName]>> = {
  respiration: ['RR', 'respiration_rate'],
  spo2: ['SpO2', 'spo2'],
  systolic: ['SBP', 'nibp_systolic'],
  pulse: ['HR', 'heart_rate'],
  temperature: ['T', 'body_temperature'],
}

const BAND_TEXT: Readonly<Record<News2Band, string>> = {
  low: 'low risk',
  single: 'a single parameter scores 3',
  medium: 'medium risk',
  high: 'high risk',
}

/** "NEWS2 6 (medium risk): RR 24 /min [2], SpO2 95 % [1], …, alert [0], air [0]". */
export function describeScore(scored: ScoredInputs, band: News2Band, config: News2Config): string {
  const parts = scored.parts.map(({ parameter, value, score }) => {
    const [label, metric] = LABELS[parameter]
    return `${label} ${formatValue(metric, value)} [${score}]`
  })
  parts.push(`${config.consciousness} [${scoreConsciousness(config.consciousness)}]`)
  parts.push(`${config.onOxygen ? 'oxygen' : 'air'} [${scoreOxygen(config.onOxygen)}] (assumed)`)
  const partial =
    config.parameters.length < NEWS2_PARAMETERS.length
      ? `; partial score of ${config.parameters.map((p) => LABELS[p][0]).join(', ')} (a lower bound)`
      : ''
  return `NEWS2 ${scored.aggregate} (${BAND_TEXT[band]}): ${parts.join(', ')}${partial}`
}
