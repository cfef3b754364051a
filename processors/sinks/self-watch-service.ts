import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { z } from 'zod'
import { alertId, type AlertEvent, type AlertPriority } from '../../core/alerts/alert-event.js'
import type { Clock } from '../../core/clock.js'
import type { Component } from '../../core/lifecycle.js'
import type { Logger } from '../../core/log.js'
import type { SinkMetrics } from './metrics.js'
import type { SinkRunner } from './runner.js'
import {
  SELF_WATCH_DEVICE,
  SELF_WATCH_RULE_TYPE,
  selfWatchRuleId,
  type PersistedAlarms,
  type SelfWatch,
  type SelfWatchConfig,
  type WatchTransition,
} from './self-watch.js'

export interface SelfWatchServiceOptions {
  config: SelfWatchConfig & { stateFile: string }
  watch: SelfWatch
  runners: ReadonlyMap<string, SinkRunner>
  metrics: SinkMetrics
  clock: Clock
  logger: Logger
}

/** A watch transition as an alert event: technical, deduplicated by the sinks like any other. */
export function watchEvent(t: WatchTransition, priority: AlertPriority, emittedTsMs: number): AlertEvent {
  const ruleId = selfWatchRuleId(t.sink, t.condition)
  return {
    alertId: alertId(SELF_WATCH_DEVICE, ruleId, t.episode),
    deviceId: SELF_WATCH_DEVICE,
    subjectId: '',
    ruleId,
    ruleType: SELF_WATCH_RULE_TYPE,
    kind: 'technical',
    priority,
    transition: t.transition,
    metric: undefined,
    value: t.value,
    limit: t.limit,
    eventTsMs: t.atMs,
    emittedTsMs,
    latching: false,
    episode: t.episode,
    message: t.message,
    actor: '',
    late: false,
  }
}

/**
 * Judges the watch every checkIntervalMs and delivers its transitions in process, straight to the
 * other sinks' runners (ADR 0017): it works when Kafka is what failed. A raise goes to the sinks
 * with no open alarm of their own, never to the sink it is about, so a dead sink cannot loop; the
 * clear goes to the sinks the raise went to. Episodes and open alarms survive a restart in stateFile.
 */
export function createSelfWatchService(options: SelfWatchServiceOptions): Component {
  const { config, watch, runners, metrics, clock } = options
  const log = options.logger.child({ component: 'sink.self-watch' })
  let timer: NodeJS.Timeout | undefined
  let saving: Promise<void> = Promise.resolve()

  function save(): Promise<void> {
    const body = `${JSON.stringify({ version: 1, alarms: watch.alarms() }, null, 2)}\n`
    // One write at a time, replaced atomically: a crash leaves the old file or the new one.
    saving = saving.then(async () => {
      try {
        await mkdir(dirname(config.stateFile), { recursive: true })
        await writeFile(`${config.stateFile}.tmp`, body, { mode: 0o640 })
        await rename(`${config.stateFile}.tmp`, config.stateFile)
      } catch (err) {
        log.warn(
          { err, file: config.stateFile },
          'cannot save the self-watch state; episodes restart after a restart',
        )
      }
    })
    return saving
  }

  function announce(t: WatchTransition): void {
    const targets =
      t.transition === 'raised'
        ? [...runners.keys()].filter((name) => name !== t.sink && !watch.alarmed(name))
        : (watch.alarms()[`${t.sink}/${t.condition}`]?.notified ?? []).filter((name) => runners.has(name))
    if (t.transition === 'raised') {
      watch.notified(t.sink, t.condition, targets)
      metrics.watchAlarms.inc({ sink: t.sink, condition: t.condition })
    }
    const event = watchEvent(t, config.priority, clock.now())
    const fields = { subject: t.sink, condition: t.condition, alertId: event.alertId, targets }
    if (t.transition === 'cleared') log.info(fields, 'alert sink recovered; technical alarm cleared')
    else if (targets.length === 0)
      log.error(fields, `${t.message}; no working sink is left to carry the alarm`)
    else log.error(fields, `${t.message}; technical alarm raised through the other sinks`)
    for (const target of targets) {
      runners
        .get(target)
        ?.announce(event)
        .catch((err: unknown) =>
          log.warn({ err, target, alertId: event.alertId }, 'technical alarm not delivered'),
        )
    }
  }

  function tick(): void {
    const transitions = watch.evaluate()
    for (const t of transitions) announce(t)
    for (const name of runners.keys()) metrics.healthy.set({ sink: name }, watch.alarmed(name) ? 0 : 1)
    if (transitions.length > 0) void save()
  }

  return {
    name: 'sink-self-watch',
    async start() {
      watch.restore(await load(config.stateFile, log))
      for (const name of runners.keys()) metrics.healthy.set({ sink: name }, watch.alarmed(name) ? 0 : 1)
      timer = setInterval(tick, config.checkIntervalMs)
      timer.unref()
    },
    async stop() {
      clearInterval(timer)
      await save()
    },
  }
}

const stateFileSchema = z.object({
  version: z.literal(1),
  alarms: z.record(
    z.string(),
    z.object({
      episode: z.number().int().nonnegative(),
      active: z.boolean(),
      raisedAtMs: z.number(),
      notified: z.array(z.string()),
    }),
  ),
})

async function load(file: string, log: Logger): Promise<PersistedAlarms> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch {
    return {} // first run
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  const parsed = stateFileSchema.safeParse(json)
  if (parsed.success) return parsed.data.alarms
  log.warn({ file }, 'self-watch state unreadable; episodes start again at 1')
  return {}
}
