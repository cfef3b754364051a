import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse, stringify } from 'yaml'
import { deviceTypeSpec, type KnownDeviceType } from '../../core/telemetry/device-types.js'

interface RuleEntry {
  type?: string
  timeoutMs?: number
  expectedIntervalMs?: Record<string, number>
  [key: string]: unknown
}

/**
 * The default rules with communication loss expecting the load's own cadence. A load test sends
 * one message per device every devices ÷ rate seconds; a bedside monitor's declared cadence is 1 s,
 * so at 500 devices and 130 msg/s every gap (3.8 s) would be past 3 × 1 s and each message would
 * raise and clear a comm-loss alarm: an alarm storm the load test caused, not the pipeline. Real
 * fleets declare their cadence the same way (`expectedIntervalMs`, missing-data/README.md).
 * Returns undefined (the default rules as they are) when the load is at or above the cadence.
 */
export function rulesForLoad(options: {
  rulesFile: string
  dir: string
  sendIntervalMs: number
  types: readonly KnownDeviceType[]
}): string | undefined {
  const slower = options.types.filter((t) => options.sendIntervalMs > deviceTypeSpec(t).reportIntervalMs)
  if (slower.length === 0) return undefined
  const doc = parse(readFileSync(options.rulesFile, 'utf8')) as { rules?: RuleEntry[] }
  for (const rule of doc.rules ?? []) {
    if (rule.type !== 'missing-data' || rule.timeoutMs !== undefined) continue
    rule.expectedIntervalMs = {
      ...rule.expectedIntervalMs,
      ...Object.fromEntries(slower.map((t) => [t, Math.ceil(options.sendIntervalMs)])),
    }
  }
  const file = join(options.dir, 'rules.yaml')
  writeFileSync(file, stringify(doc))
  return file
}
