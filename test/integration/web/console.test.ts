/// <reference lib="dom" />
import { mkdirSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Point } from '@influxdata/influxdb-client'
import puppeteer, { type Browser, type Page } from 'puppeteer-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeAlertCommand } from '../../../core/alerts/alert-command.js'
import { decodeAlertEvent, type AlertEvent } from '../../../core/alerts/alert-event.js'
import { createInfluxAdapter } from '../../../core/influx/client.js'
import { TAGS } from '../../../core/influx/layout.js'
import { createKafkaProducer, type KafkaProducer } from '../../../core/kafka/producer.js'
import { CHANNELS } from '../../../core/telemetry/topics.js'
import { parseRuleSet } from '../../../processors/alerting/rules/rule-set.js'
import { buildWeb, type BuiltWeb } from '../../../processors/web/main.js'
import { upsertUser } from '../../../processors/web/users.js'
import { startTestAlerting, type TestAlerting } from '../../helpers/alerting.js'
import { tapChannels, type Tap } from '../../helpers/kafka-tap.js'
import { freePort } from '../../helpers/processes.js'
import { eventually, silentLogger, testInflux, testKafka, unique } from '../../helpers/services.js'
import { envelope, sample, telemetryRecord } from '../../helpers/telemetry-fixtures.js'
import { waitFor, waitForReady } from '../../helpers/wait.js'

// Issue #12 "Done when": a real headless Chromium against the real console, real Kafka,
// real alerting and real InfluxDB.
const RULES = parseRuleSet(
  {
    version: 1,
    rules: [
      {
        id: 'spo2-low',
        type: 'threshold',
        appliesTo: ['bedside-monitor'],
        metric: 'spo2',
        direction: 'below',
        levels: [{ limit: 85, priority: 'high', delayMs: 0, latching: true }],
        clearLimit: 92,
      },
    ],
  },
  'web console test',
)
const run = unique('web')
const dev = `${run}-bed1`
const PASSWORD = 'correct horse battery'
// The README embeds these: the test is what keeps them true to the console.
const shots = join(process.cwd(), 'docs', 'images')
const started: Array<{ stop(): Promise<void> }> = []
const problems: string[] = []
let alerting: TestAlerting
let tap: Tap
let producer: KafkaProducer
let web: BuiltWeb
let base: string
let browser: Browser
let seq = 0

const events = (): AlertEvent[] =>
  tap.forKeys([dev]).flatMap((r) => {
    if (r.topic !== CHANNELS.alertEvents) return []
    const d = decodeAlertEvent(r.value)
    return d.ok ? [d.value] : []
  })
const commands = () =>
  tap.forKeys([dev]).flatMap((r) => {
    if (r.topic !== CHANNELS.alertCommands) return []
    const d = decodeAlertCommand(r.value)
    return d.ok ? [d.value] : []
  })

async function reading(spo2: number): Promise<void> {
  seq += 1
  const env = envelope(dev, seq, Date.now(), [sample('spo2', spo2), sample('heart_rate', 72)])
  await producer.produce(telemetryRecord(env, { site: 'ward-3', subject: 'subj-0042' }))
}

async function newPage(user: string): Promise<Page> {
  const context = await browser.createBrowserContext()
  const page = await context.newPage()
  await page.setViewport({ width: 1280, height: 800 })
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`${user} console: ${m.text()}`)
  })
  page.on('pageerror', (e) => problems.push(`${user} page error: ${String(e)}`))
  page.on('requestfailed', (r) => {
    // The live stream is aborted when a test closes its page: not a failure of the console.
    if (!r.url().includes('/api/events')) problems.push(`${user} request failed: ${r.url()}`)
  })
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`${user} HTTP ${r.status()}: ${r.url()}`)
  })
  await page.goto(`${base}/#/ward`)
  await page.waitForSelector('form.login input[name=user]')
  await page.type('input[name=user]', user)
  await page.type('input[name=password]', PASSWORD)
  await page.click('form.login button')
  await page.waitForFunction((u) => document.querySelector('#who')?.textContent?.startsWith(u), {}, user)
  return page
}

async function login(user: string): Promise<string> {
  const res = await fetch(`${base}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user, password: PASSWORD }),
  })
  expect(res.status).toBe(200)
  return (res.headers.get('set-cookie') ?? '').split(';')[0] ?? ''
}

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pw-web-'))
  mkdirSync(shots, { recursive: true })
  upsertUser(join(dir, 'users.json'), 'nurse-17', 'clinician', PASSWORD)
  upsertUser(join(dir, 'users.json'), 'ward-display', 'viewer', PASSWORD)
  tap = await tapChannels(testKafka, [CHANNELS.alertEvents, CHANNELS.alertCommands])
  producer = createKafkaProducer({ kafka: testKafka, clientId: 'it-web', logger: silentLogger })
  await producer.start()
  started.push(producer)
  alerting = await startTestAlerting({
    ruleSet: RULES,
    groupId: `${run}-alerting`,
    config: { transactionalId: `${run}-alerting` },
  })
  started.push(alerting)
  await alerting.warmUp(producer)
  const port = await freePort()
  web = buildWeb({
    logger: silentLogger,
    env: {
      PULSEWIRE__HTTP__PORT: String(port),
      PULSEWIRE__KAFKA__BROKERS: testKafka.brokers,
      PULSEWIRE__INFLUX__URL: testInflux.url,
      PULSEWIRE__USERS__FILE: join(dir, 'users.json'),
      PULSEWIRE__AUDIT__FILE: join(dir, 'audit.jsonl'),
      PULSEWIRE__CONSUMER_GROUP: `${run}-web`,
      PULSEWIRE__PIPELINE__METRICS_URLS: JSON.stringify([`${alerting.httpUrl}/metrics`]),
      PULSEWIRE__PIPELINE__SCRAPE_INTERVAL_MS: '1000',
      PULSEWIRE__TAP__THROTTLE_MS: '200',
      // The shared stack's alerts channel holds thousands of other tests' latched alarms: this
      // console rebuilds only what happens from its start, as a ward that opened today would.
      PULSEWIRE__ALARMS__LOOKBACK_MS: '1',
    },
  })
  for (const c of web.components) {
    await c.start()
    started.push(c)
  }
  base = `http://127.0.0.1:${port}`
  await waitForReady(base, { timeoutMs: 60_000 })
  browser = await puppeteer.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox'],
  })
}, 180_000)

afterAll(async () => {
  // Chromium is a child process: stop it by its PID if a graceful close does not finish.
  const pid = browser?.process()?.pid
  await Promise.race([browser?.close(), new Promise((r) => setTimeout(r, 5_000))]).catch(() => undefined)
  if (pid !== undefined) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // Already gone after the graceful close: nothing left to stop.
    }
  }
  for (const c of started.reverse()) await c.stop().catch(() => undefined)
  await tap?.stop()
})

describe('integration > web > central-station console in a real browser', () => {
  let alarm: AlertEvent
  it('shows a simulated desaturation as a red HIGH tile within 2 s of its emission', async () => {
    const page = await newPage('nurse-17')
    // The tap reads from the end: keep the device talking until its tile is there.
    await waitFor(
      async () => {
        await reading(97)
        return (await page.$(`[data-device="${dev}"]`)) ?? undefined
      },
      { timeoutMs: 30_000, what: 'the device tile' },
    ).catch(async (err: unknown) => {
      // Say what the ward did show: the shared stack holds other tests' devices and alarms.
      const shown = await page.$eval('#view h2', (h) => h.textContent).catch(() => 'no heading')
      throw new Error(`${String(err)}; the ward showed: ${shown}`)
    })
    // The page notes the moment the tile turns HIGH, so a slow test runner cannot inflate the time.
    const shown = page.waitForFunction(
      (d) => {
        const t = document.querySelector(`[data-device="${d}"]`)
        return t?.getAttribute('data-priority') === 'high' && t.textContent?.includes('HIGH')
          ? Date.now()
          : false
      },
      { polling: 'mutation', timeout: 30_000 },
      dev,
    )
    await reading(82)
    alarm = await eventually(() => events().find((e) => e.transition === 'raised'), 30_000)
    const shownMs = (await (await shown).jsonValue()) as number
    // Same machine, same clock: the alert event's emission time to the pixel change.
    expect(shownMs - alarm.emittedTsMs).toBeLessThan(2_000)
    expect(shownMs).toBeGreaterThanOrEqual(alarm.emittedTsMs)
    const colour = await page.$eval(`[data-device="${dev}"]`, (t) => getComputedStyle(t).borderTopColor)
    expect(colour).toBe('rgb(238, 0, 0)')
    await page.screenshot({ path: join(shots, 'web-central-station.png') })
    await page.close()
  }, 90_000)

  it('a clinician acknowledges in the browser: the acknowledged event names the clinician', async () => {
    const page = await newPage('nurse-17')
    await page.goto(`${base}/#/alarms`)
    const button = `tr[data-alert="${alarm.alertId}"] button[data-action=acknowledge]`
    // The alarm table re-renders on every stream event: a locator retries the click on the new row
    // where page.click on a handle found a moment before can hit a detached node.
    await page.locator(button).setTimeout(30_000).click()
    const command = await eventually(() => commands().find((c) => c.command === 'acknowledge'), 30_000)
    expect(command).toMatchObject({ alertId: alarm.alertId, by: 'nurse-17', source: 'web' })
    const ack = await eventually(() => events().find((e) => e.transition === 'acknowledged'), 30_000)
    expect(ack.actor).toBe('nurse-17')
    expect(ack.alertId).toBe(alarm.alertId)
    await page.waitForFunction(() => document.querySelector('#audit')?.textContent?.includes('acknowledge'), {
      timeout: 10_000,
    })
    await page.screenshot({ path: join(shots, 'web-alarm-list.png') })
    await page.close()
  }, 60_000)

  it('a viewer sees no enabled action, and a direct POST by a viewer is refused with 403', async () => {
    const page = await newPage('ward-display')
    await page.goto(`${base}/#/alarms`)
    await page.waitForSelector(`tr[data-alert="${alarm.alertId}"] button`)
    const enabled = await page.$$eval('button[data-action]', (bs) => bs.filter((b) => !b.disabled).length)
    expect(enabled).toBe(0)
    await page.close()
    const cookie = await login('ward-display')
    const res = await fetch(`${base}/api/alarms/reset`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie },
      body: JSON.stringify({ alertId: alarm.alertId }),
    })
    expect(res.status).toBe(403)
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('WEB_FORBIDDEN')
    const bad = await fetch(`${base}/api/alarms/explode`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: await login('nurse-17') },
      body: '{}',
    })
    expect(bad.status).toBe(400)
  }, 60_000)

  it('a device chart shows points stored in InfluxDB, with the alarm episode shaded', async () => {
    const influx = createInfluxAdapter(testInflux)
    const now = Date.now()
    const points = Array.from({ length: 30 }, (_, i) =>
      new Point('vitals')
        .tag(TAGS.deviceId, dev)
        .tag(TAGS.deviceType, 'bedside-monitor')
        .floatField('spo2', 95 - (i % 5))
        .timestamp(new Date(now - (30 - i) * 20_000)),
    )
    await influx.write(points)
    await influx.close()
    const page = await newPage('nurse-17')
    await page.goto(`${base}/#/device/${encodeURIComponent(dev)}`)
    await page.waitForFunction(
      () =>
        /(\d+) stored points/.exec(
          document.querySelector('#view p:nth-of-type(2)')?.textContent ?? '',
        )?.[1] !== undefined && Number(/(\d+) stored/.exec(document.body.textContent ?? '')?.[1]) >= 30,
      { timeout: 20_000 },
    )
    expect(await page.$('#chart canvas')).not.toBeNull()
    await page.screenshot({ path: join(shots, 'web-device-view.png') })
    await page.close()
  }, 60_000)

  it('the pipeline view shows scraped metrics; no view had console errors or failed requests', async () => {
    const page = await newPage('ward-display')
    await page.goto(`${base}/#/pipeline`)
    await page.waitForFunction(
      () => document.body.textContent?.includes('Consumer lag') && document.body.textContent.includes('up'),
      { timeout: 20_000 },
    )
    await page.screenshot({ path: join(shots, 'web-pipeline-view.png') })
    await page.close()
    expect(problems).toEqual([])
  }, 60_000)
})
