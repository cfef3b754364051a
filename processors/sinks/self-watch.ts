import { z } from 'zod'
import { ALERT_PRIORITIES } from '../../core/alerts/alert-event.js'
import type { Clock } from '../../core/clock.js'

/**
 * The sinks' own technical alarms (IEC 60601-1-8 distributed alarm systems detect their own
 * failure, ADR 0017). Pure: signals in, raised/cleared transitions out, time passed in.
 */
export const selfWatchSchema = z.strictObject({
  enabled: z
    .boolean()
    .default(true)
    .describe('Watch every sink and alarm through the others when one fails.'),
  priority: z
    .enum(ALERT_PRIORITIES.filter((p) => p !== 'unspecified') as ['low', 'medium', 'high'])
    .default('high')
    .describe('Priority of the technical alarm: a silent pager means nobody hears the HIGH alarms.'),
  failingForMs: z
    .number()
    .int()
    .positive()
    .default(30_000)
    .describe('Sink failing: every attempt has failed for this long (no delivery in between).'),
  deadLetters: z
    .number()
    .int()
    .positive()
    .default(3)
    .describe('Sink failing: this many transitions dead-lettered in a row, however fast.'),
  stalledForMs: z
    .number()
    .int()
    .positive()
    .default(60_000)
    .describe('Events not reaching the sink: events wait for it and none has been finished for this long.'),
  checkIntervalMs: z
    .number()
    .int()
    .positive()
    .default(1_000)
    .describe('How often the conditions are judged.'),
  stateFile: z
    .string()
    .min(1)
    .optional()
    .describe('Episodes and open alarms, kept across restarts. Default: <deadLetterDir>/self-watch.json.'),
})
export type SelfWatchConfig = z.output<typeof selfWatchSchema>

export const SELF_WATCH_CONDITIONS = ['failing', 'stalled'] as const
export type SelfWatchCondition = (typeof SELF_WATCH_CONDITIONS)[number]

/** The subject of the sinks' alarms; a '.' in the rule id keeps them apart from alerting's rule ids. */
export const SELF_WATCH_DEVICE = 'pulsewire-sinks'
export const SELF_WATCH_RULE_TYPE = 'sink-watch'
export const selfWatchRuleId = (sink: string, condition: SelfWatchCondition): string =>
  `sink-${condition}.${sink}`

/** What the runner tells the watch about one sink. */
export interface SinkSignals {
  attemptFailed(reason: string): void
  delivered(): void
  deadLettered(): void
  /** Channel records handed to the sink (a batch). */
  waiting(count: number): void
  /** One channel record finished (delivered, dead-lettered, filtered, duplicate or undecodable). */
  done(): void
}

export interface AlarmState {
  episode: number
  active: boolean
  raisedAtMs: number
  /** The sinks the raise went to: the clear goes to the same ones. */
  notified: string[]
}
export type PersistedAlarms = Record<string, AlarmState>

export interface WatchTransition {
  sink: string
  condition: SelfWatchCondition
  transition: 'raised' | 'cleared'
  episode: number
  atMs: number
  value: number
  limit: number
  message: string
}

interface SinkState {
  failingSinceMs: number | undefined
  failedAttempts: number
  deadLettersInRow: number
  lastError: string
  pending: number
  lastProgressMs: number
  /** A delivery succeeded since the last raise of this sink's alarms: they may clear. */
  deliveredSinceRaise: boolean
  /** Nothing was waiting at some point since the last raise: a stalled sink has caught up. */
  caughtUpSinceRaise: boolean
}

export interface SelfWatch {
  signals(sink: string): SinkSignals
  /** Judges every condition now; returns the transitions to announce, already applied. */
  evaluate(): WatchTransition[]
  /** Whether any alarm about this sink is open (it then carries no one else's alarm). */
  alarmed(sink: string): boolean
  alarms(): PersistedAlarms
  /**
   * The alarms of the previous run (before any signal): an open one stays open, same episode and
   * no second raise, until its sink delivers again; episodes continue from the last one.
   */
  restore(previous: PersistedAlarms): void
  /** Records which sinks a raise went to (the clear goes to them). */
  notified(sink: string, condition: SelfWatchCondition, sinks: string[]): void
}

export const alarmKey = (sink: string, condition: SelfWatchCondition): string => `${sink}/${condition}`

export function createSelfWatch(
  config: Pick<SelfWatchConfig, 'failingForMs' | 'deadLetters' | 'stalledForMs'>,
  sinks: readonly string[],
  clock: Pick<Clock, 'now'>,
): SelfWatch {
  const states = new Map<string, SinkState>()
  const alarms = new Map<string, AlarmState>()
  for (const sink of sinks) {
    states.set(sink, {
      failingSinceMs: undefined,
      failedAttempts: 0,
      deadLettersInRow: 0,
      lastError: '',
      pending: 0,
      lastProgressMs: clock.now(),
      deliveredSinceRaise: true,
      caughtUpSinceRaise: true,
    })
  }
  const state = (sink: string): SinkState => {
    const found = states.get(sink)
    if (!found) throw new Error(`sink ${sink} is not watched`)
    return found
  }

  function isTrue(sink: string, condition: SelfWatchCondition, now: number): boolean {
    const s = state(sink)
    if (condition === 'failing') {
      if (s.failingSinceMs === undefined) return false
      return now - s.failingSinceMs >= config.failingForMs || s.deadLettersInRow >= config.deadLetters
    }
    return s.pending > 0 && now - s.lastProgressMs >= config.stalledForMs
  }

  function describe(
    sink: string,
    condition: SelfWatchCondition,
    now: number,
  ): Omit<WatchTransition, 'transition' | 'episode'> {
    const s = state(sink)
    if (condition === 'failing') {
      const forS = Math.round((now - (s.failingSinceMs ?? now)) / 1000)
      const last = s.lastError ? ` (last: ${s.lastError})` : ''
      return {
        sink,
        condition,
        atMs: now,
        value: forS,
        limit: config.failingForMs / 1000,
        message: `alert sink ${sink} failing for ${forS} s: ${s.failedAttempts} failed attempts, ${s.deadLettersInRow} dead-lettered${last}`,
      }
    }
    const forS = Math.round((now - s.lastProgressMs) / 1000)
    return {
      sink,
      condition,
      atMs: now,
      value: forS,
      limit: config.stalledForMs / 1000,
      message: `alert events not reaching sink ${sink}: ${s.pending} waiting, none finished for ${forS} s`,
    }
  }

  return {
    signals(sink) {
      const s = state(sink)
      return {
        attemptFailed(reason) {
          s.failingSinceMs ??= clock.now()
          s.failedAttempts++
          s.lastError = reason
        },
        delivered() {
          s.failingSinceMs = undefined
          s.failedAttempts = 0
          s.deadLettersInRow = 0
          s.deliveredSinceRaise = true
        },
        deadLettered() {
          s.failingSinceMs ??= clock.now()
          s.deadLettersInRow++
        },
        waiting(count) {
          if (s.pending === 0) s.lastProgressMs = clock.now()
          s.pending += count
        },
        done() {
          s.pending = Math.max(0, s.pending - 1)
          if (s.pending === 0) s.caughtUpSinceRaise = true
          s.lastProgressMs = clock.now()
        },
      }
    },
    evaluate() {
      const now = clock.now()
      const out: WatchTransition[] = []
      for (const sink of sinks) {
        for (const condition of SELF_WATCH_CONDITIONS) {
          const key = alarmKey(sink, condition)
          const alarm = alarms.get(key)
          const holds = isTrue(sink, condition, now)
          if (alarm?.active) {
            // Only a delivery proves the sink works again: a sink that merely goes quiet stays alarmed.
            // Stalled clears once caught up too, so a sink slower than the window per event raises
            // one episode for the whole backlog rather than one per event.
            const s = state(sink)
            const caughtUp = condition === 'failing' || s.caughtUpSinceRaise || s.pending === 0
            if (holds || !s.deliveredSinceRaise || !caughtUp) continue
            alarm.active = false
            out.push({
              ...describe(sink, condition, now),
              transition: 'cleared',
              episode: alarm.episode,
              message: `alert sink ${sink} delivering again (${condition === 'failing' ? 'sink failing' : 'events not reaching it'} cleared)`,
            })
            continue
          }
          // One cause, one alarm: a sink already alarmed as failing is not also announced as stalled.
          if (!holds || (condition === 'stalled' && alarms.get(alarmKey(sink, 'failing'))?.active)) continue
          const episode = (alarm?.episode ?? 0) + 1
          alarms.set(key, { episode, active: true, raisedAtMs: now, notified: [] })
          state(sink).deliveredSinceRaise = false
          if (condition === 'stalled') state(sink).caughtUpSinceRaise = false
          out.push({ ...describe(sink, condition, now), transition: 'raised', episode })
        }
      }
      return out
    },
    alarmed: (sink) => SELF_WATCH_CONDITIONS.some((c) => alarms.get(alarmKey(sink, c))?.active === true),
    alarms: () =>
      Object.fromEntries(
        [...alarms].map(([key, alarm]) => [key, { ...alarm, notified: [...alarm.notified] }]),
      ),
    restore(previous) {
      for (const sink of sinks) {
        const s = state(sink)
        for (const condition of SELF_WATCH_CONDITIONS) {
          const alarm = previous[alarmKey(sink, condition)]
          if (!alarm) continue
          alarms.set(alarmKey(sink, condition), { ...alarm, notified: [...alarm.notified] })
          if (!alarm.active) continue
          s.deliveredSinceRaise = false
          // Presumed still failing until the sink proves otherwise.
          if (condition === 'failing') s.failingSinceMs ??= clock.now()
        }
      }
    },
    notified(sink, condition, targets) {
      const alarm = alarms.get(alarmKey(sink, condition))
      if (alarm) alarm.notified = [...targets]
    },
  }
}
