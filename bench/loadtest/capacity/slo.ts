/**
 * The latency SLO of a sustained-capacity step (performance.md §7, issue #11): what must hold
 * over the steady window of one offered rate for that rate to count as sustained. Pure: a step
 * is judged from its measurements only, so the search and its tests need no pipeline.
 */
export interface CapacitySlo {
  /** Acknowledged within the run / scheduled in the steady window (QoS 1). */
  minAckedRatio: number
  pubackP99Ms: number
  influxVisibleP99Ms: number
  alertP99Ms: number
  /** Consumer lag at the end of the steady window, in seconds of offered load. */
  maxLagSeconds: number
  /** The generator's own lag behind its schedule, p99: above it the box, not the target, is judged. */
  generatorLagP99Ms: number
}

export const DEFAULT_SLO: CapacitySlo = {
  minAckedRatio: 0.999,
  pubackP99Ms: 100,
  influxVisibleP99Ms: 1_000,
  alertP99Ms: 250,
  maxLagSeconds: 1,
  generatorLagP99Ms: 50,
}

/** What one step measured over its steady window (after ramp-up and warm-up). */
export interface StepMeasure {
  ratePerSec: number
  steadySeconds: number
  scheduled: number
  acknowledged: number
  pubackP99Ms: number | null
  influxVisibleP99Ms: number | null
  /** null when the step raised no alert to time (then the check cannot pass). */
  alertP99Ms: number | null
  /** False for a target that raises no alerts (the peers): the alert check does not apply. */
  alerting: boolean
  /** Records behind per consumer group at the end of the window; null: not reported. */
  lagRecords: Record<string, number> | null
  lost: number
  /** Alert raises the load did not inject (communication loss, overload…), by rule. */
  loadAlarms: Record<string, number>
  generatorLagP99Ms: number | null
}

export interface SloCheck {
  name: string
  /** As a person reads it: "p99 37.2 ms ≤ 100 ms". */
  detail: string
  pass: boolean
}

const ms = (v: number): string => (v >= 100 ? v.toFixed(0) : v.toFixed(1))

function latency(name: string, value: number | null, limit: number): SloCheck {
  if (value === null) return { name, detail: `no sample (limit p99 ≤ ${limit} ms)`, pass: false }
  return { name, detail: `p99 ${ms(value)} ms ≤ ${limit} ms`, pass: value <= limit }
}

/** Every check of the SLO for one step, in a fixed order; the step passes when all pass. */
export function judgeStep(m: StepMeasure, slo: CapacitySlo = DEFAULT_SLO): SloCheck[] {
  const ratio = m.scheduled === 0 ? 0 : m.acknowledged / m.scheduled
  const lagLimit = Math.max(1, Math.round(m.ratePerSec * slo.maxLagSeconds))
  const lagEntries = m.lagRecords === null ? [] : Object.entries(m.lagRecords)
  const worstLag = lagEntries.reduce((a, [, v]) => Math.max(a, v), 0)
  const alarms = Object.entries(m.loadAlarms).filter(([, n]) => n > 0)
  return [
    {
      name: 'acknowledged',
      detail: `${(ratio * 100).toFixed(2)} % of ${m.scheduled} scheduled ≥ ${(slo.minAckedRatio * 100).toFixed(1)} %`,
      pass: m.scheduled > 0 && ratio >= slo.minAckedRatio,
    },
    latency('puback', m.pubackP99Ms, slo.pubackP99Ms),
    latency('influx-visible', m.influxVisibleP99Ms, slo.influxVisibleP99Ms),
    m.alerting
      ? latency('alert-emitted', m.alertP99Ms, slo.alertP99Ms)
      : { name: 'alert-emitted', detail: 'n/a: the target raises no alerts', pass: true },
    m.lagRecords === null
      ? { name: 'consumer-lag', detail: 'not reported by the processes', pass: false }
      : {
          name: 'consumer-lag',
          detail: `worst group ${worstLag} records ≤ ${lagLimit} (${slo.maxLagSeconds} s of load)`,
          pass: worstLag <= lagLimit,
        },
    { name: 'lost', detail: `${m.lost} readings`, pass: m.lost === 0 },
    {
      name: 'load-alarms',
      detail: alarms.length === 0 ? 'none' : alarms.map(([rule, n]) => `${rule} ×${n}`).join(', '),
      pass: alarms.length === 0,
    },
    m.generatorLagP99Ms === null
      ? { name: 'generator', detail: 'lag not measured', pass: false }
      : {
          name: 'generator',
          detail: `on schedule, lag p99 ${ms(m.generatorLagP99Ms)} ms ≤ ${slo.generatorLagP99Ms} ms`,
          pass: m.generatorLagP99Ms <= slo.generatorLagP99Ms,
        },
  ]
}

export const stepPasses = (checks: readonly SloCheck[]): boolean => checks.every((c) => c.pass)
