import type { AlertEvent, AlertPriority } from '../../core/alerts/alert-event.js'

/** One alarm as the console shows it: its latest event plus the operator actions on it. */
export interface AlarmView {
  alertId: string
  deviceId: string
  subjectId: string
  ruleId: string
  kind: AlertEvent['kind']
  priority: AlertPriority
  state: AlertEvent['transition']
  active: boolean
  acknowledged: boolean
  silencedUntilMs?: number | undefined
  metric: string | undefined
  value: number
  limit: number
  message: string
  raisedMs: number
  updatedMs: number
  emittedMs: number
  actions: Array<{ transition: string; actor: string; reason: string; atMs: number }>
}

export interface DeviceView {
  deviceId: string
  deviceType: string
  site: string
  subject: string
  lastSeenMs: number
  latest: Record<string, { value: number; tsMs: number; ucum: string }>
  trend: Record<string, Array<[number, number]>>
}

export interface Reading {
  deviceId: string
  deviceType: string
  site: string
  subject: string
  rxMs: number
  samples: Array<{ metric: string; value: number; tsMs: number; ucum: string }>
}

const RANK: Record<AlertPriority, number> = { unspecified: 0, low: 1, medium: 2, high: 3 }
const OPERATOR = new Set(['acknowledged', 'silenced', 'reset'])

/** Ended: reset, or cleared when nothing latches it (a latched alarm stays until reset or acknowledged). */
function ends(view: AlarmView, event: AlertEvent): boolean {
  if (event.transition === 'reset') return true
  return event.transition === 'cleared' && (!event.latching || view.acknowledged)
}

/** Ward state: the active alarms and each device's latest readings, bounded in memory. */
export function createWard(options: { maxDevices: number; trendPoints: number; recentAlarms: number }) {
  const alarms = new Map<string, AlarmView>()
  const recent: AlarmView[] = []
  const devices = new Map<string, DeviceView>()

  function applyAlert(event: AlertEvent): AlarmView {
    const existing = alarms.get(event.alertId)
    const view: AlarmView = existing ?? {
      alertId: event.alertId,
      deviceId: event.deviceId,
      subjectId: event.subjectId,
      ruleId: event.ruleId,
      kind: event.kind,
      priority: event.priority,
      state: event.transition,
      active: true,
      acknowledged: false,
      metric: event.metric,
      value: event.value,
      limit: event.limit,
      message: event.message,
      raisedMs: event.eventTsMs,
      updatedMs: event.eventTsMs,
      emittedMs: event.emittedTsMs,
      actions: [],
    }
    view.state = event.transition
    view.updatedMs = event.eventTsMs
    view.emittedMs = event.emittedTsMs
    if (event.priority !== 'unspecified') view.priority = event.priority
    if (!OPERATOR.has(event.transition)) {
      view.value = event.value
      view.limit = event.limit
      view.message = event.message
    }
    if (event.transition === 'acknowledged') view.acknowledged = true
    view.silencedUntilMs = event.silencedUntilMs
    if (OPERATOR.has(event.transition))
      view.actions.push({
        transition: event.transition,
        actor: event.actor,
        reason: event.reason ?? '',
        atMs: event.eventTsMs,
      })
    if (ends(view, event)) {
      view.active = false
      alarms.delete(event.alertId)
      recent.unshift(view)
      if (recent.length > options.recentAlarms) recent.pop()
    } else alarms.set(event.alertId, view)
    return view
  }

  function applyReading(reading: Reading): DeviceView {
    let device = devices.get(reading.deviceId)
    if (device)
      devices.delete(reading.deviceId) // re-inserted last: Map order is recency
    else {
      device = {
        deviceId: reading.deviceId,
        deviceType: reading.deviceType,
        site: '',
        subject: '',
        lastSeenMs: 0,
        latest: {},
        trend: {},
      }
      if (devices.size >= options.maxDevices) devices.delete(devices.keys().next().value as string)
    }
    device.site = reading.site || device.site
    device.subject = reading.subject || device.subject
    device.lastSeenMs = Math.max(device.lastSeenMs, reading.rxMs)
    for (const s of reading.samples) {
      const prior = device.latest[s.metric]
      if (!prior || prior.tsMs <= s.tsMs)
        device.latest[s.metric] = { value: s.value, tsMs: s.tsMs, ucum: s.ucum }
      const trend = (device.trend[s.metric] ??= [])
      trend.push([s.tsMs, s.value])
      if (trend.length > options.trendPoints) trend.splice(0, trend.length - options.trendPoints)
    }
    devices.set(reading.deviceId, device)
    return device
  }

  return {
    applyAlert,
    applyReading,
    activeAlarms: (): AlarmView[] => sortAlarms([...alarms.values()]),
    recentAlarms: (): readonly AlarmView[] => recent,
    alarm: (id: string): AlarmView | undefined => alarms.get(id) ?? recent.find((a) => a.alertId === id),
    devices: (): DeviceView[] => [...devices.values()],
    device: (id: string): DeviceView | undefined => devices.get(id),
    deviceCount: () => devices.size,
  }
}
export type Ward = ReturnType<typeof createWard>

/** Highest priority first, then the newest. */
export function sortAlarms(list: AlarmView[]): AlarmView[] {
  return list.sort((a, b) => RANK[b.priority] - RANK[a.priority] || b.raisedMs - a.raisedMs)
}

/** At most one update per key per interval; the latest value wins and is sent when the interval ends. */
export function createThrottle<T>(
  intervalMs: number,
  emit: (key: string, value: T) => void,
  now: () => number = Date.now,
) {
  const lastSent = new Map<string, number>()
  const pending = new Map<string, T>()
  return {
    offer(key: string, value: T): void {
      const last = lastSent.get(key)
      if (last === undefined || now() - last >= intervalMs) {
        lastSent.set(key, now())
        pending.delete(key)
        emit(key, value)
      } else pending.set(key, value)
    },
    /** Sends what waited long enough; called on a timer. */
    flush(): void {
      for (const [key, value] of pending) {
        if (now() - (lastSent.get(key) ?? 0) < intervalMs) continue
        pending.delete(key)
        lastSent.set(key, now())
        emit(key, value)
      }
      if (lastSent.size > 100_000) lastSent.clear()
    },
    pending: () => pending.size,
  }
}
