import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { rulesForLoad } from '../../../../bench/loadtest/load-rules.js'
import { findRepoRoot } from '../../../../core/repo-root.js'
import { DEFAULT_RULES_FILE, loadRuleSet } from '../../../../processors/alerting/rules/rule-set.js'

const rulesFile = join(findRepoRoot(import.meta.url), DEFAULT_RULES_FILE)
const dir = mkdtempSync(join(tmpdir(), 'load-rules-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

interface Entry {
  id: string
  expectedIntervalMs?: Record<string, number>
}

describe('unit > bench > loadtest > rules for the load', () => {
  it("makes communication loss expect the load's cadence when devices send slower than theirs", () => {
    // 500 devices at 130 msg/s: one message per device every 3.85 s, a 1 Hz monitor's 3 s timeout.
    const file = rulesForLoad({
      rulesFile,
      dir,
      sendIntervalMs: (500 * 1000) / 130,
      types: ['bedside-monitor'],
    })
    expect(file).toBeDefined()
    const doc = parse(readFileSync(file!, 'utf8')) as { rules: Entry[] }
    const commLoss = doc.rules.find((r) => r.id === 'comm-loss')
    expect(commLoss?.expectedIntervalMs).toEqual({ 'bedside-monitor': 3847 })
    // Every other rule is the default one, and the file is a valid rule set.
    const original = parse(readFileSync(rulesFile, 'utf8')) as { rules: Entry[] }
    expect(doc.rules.filter((r) => r.id !== 'comm-loss')).toEqual(
      original.rules.filter((r) => r.id !== 'comm-loss'),
    )
    expect(loadRuleSet(file!).rules.map((r) => r.id)).toEqual(loadRuleSet(rulesFile).rules.map((r) => r.id))
  })

  it('keeps the default rules when devices send at or above their cadence', () => {
    expect(rulesForLoad({ rulesFile, dir, sendIntervalMs: 1000, types: ['bedside-monitor'] })).toBeUndefined()
    expect(
      rulesForLoad({ rulesFile, dir, sendIntervalMs: 10_000, types: ['environmental-sensor'] }),
    ).toBeUndefined()
  })
})
