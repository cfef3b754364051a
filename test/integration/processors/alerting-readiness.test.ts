import { Registry } from 'prom-client'
import { afterEach, describe, expect, it } from 'vitest'
import { systemClock } from '../../../core/clock.js'
import type { Component } from '../../../core/lifecycle.js'
import { alertingConfigSchema } from '../../../processors/alerting/config.js'
import { parseRuleSet } from '../../../processors/alerting/rules/rule-set.js'
import { createAlertingService } from '../../../processors/alerting/service.js'
import { silentLogger, testKafka, unique } from '../../helpers/services.js'
import { waitFor } from '../../helpers/wait.js'

const ruleSet = parseRuleSet(
  { version: 1, rules: [{ id: 'comm-loss', type: 'missing-data', appliesTo: ['bedside-monitor'] }] },
  'test',
)

let started: Component[] = []
afterEach(async () => {
  for (const c of started.reverse()) await c.stop()
  started = []
})

describe('integration > processors > alerting readiness', () => {
  it('is not ready until the group has assigned its partitions', async () => {
    const service = createAlertingService({
      config: alertingConfigSchema.parse({
        kafka: testKafka,
        groupId: unique('it-ready'),
        fromBeginning: false,
        http: { port: 0 },
        log: { level: 'silent' },
      }),
      ruleSet,
      logger: silentLogger,
      registry: new Registry(),
      clock: systemClock,
      onFatal: (err) => {
        throw err
      },
    })
    const answers: Array<{ status: number; body: string; assigned: number }> = []
    let polling = true
    // Polls from the moment the HTTP server listens (it starts before the consumer joins).
    const poll = async (url: string): Promise<void> => {
      while (polling) {
        const res = await fetch(`${url}/readyz`).catch(() => undefined)
        if (res)
          answers.push({
            status: res.status,
            body: await res.text(),
            assigned: service.consumer()?.assignments().length ?? 0,
          })
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
    }
    let polled: Promise<void> | undefined
    for (const component of service.components) {
      await component.start()
      started.push(component)
      if (component.name === 'http') {
        const http = component as Component & { address(): { port: number } | undefined }
        polled = poll(`http://127.0.0.1:${http.address()?.port ?? 0}`)
      }
    }
    await waitFor(() => answers.some((a) => a.status === 200), { timeoutMs: 60_000, what: '/readyz 200' })
    polling = false
    await polled
    const firstReady = answers.findIndex((a) => a.status === 200)
    expect(firstReady).toBeGreaterThan(0) // it said "not ready" first …
    expect(answers.slice(0, firstReady).some((a) => a.body.includes('waiting for the consumer group'))).toBe(
      true,
    )
    expect(answers[firstReady]?.assigned).toBeGreaterThan(0) // … and ready only once it owns partitions
  })
})
