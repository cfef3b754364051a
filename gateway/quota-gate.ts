import type { Logger } from 'pino'
import type { Clock } from '../core/clock.js'
import type { DeviceQuota } from './device-quota.js'
import type { GatewayMetrics } from './metrics.js'

/** One summary line at most this often: a flooding device must not flood the log too. */
const LOG_WINDOW_MS = 60_000

export interface QuotaGate {
  /**
   * Before a device's PUBLISH is forwarded. Undefined: forward now. A promise: resolves when the
   * publish may go on (the broker hook awaits it, so aedes reads nothing more from that socket
   * meanwhile), or rejects when the device is so far over its rate that the connection closes.
   */
  publish(deviceId: string, bytes: number, connection: object): Promise<void> | undefined
  /** For a rejected payload: true when it gets its DLQ record, false when it is counted and dropped. */
  dlq(deviceId: string, reason: string): boolean
}

interface Window {
  throttled: number
  disconnected: number
  dlqDropped: number
  devices: Set<string>
  loggedAt: number
}

/** The quota's verdicts turned into waits, closes, metrics and a summary log (ADR 0013). */
export function createQuotaGate(deps: {
  quota: DeviceQuota
  clock: Clock
  metrics: GatewayMetrics
  logger: Logger
}): QuotaGate {
  const { quota, clock, metrics } = deps
  const log = deps.logger.child({ component: 'gateway.quota' })
  const window: Window = {
    throttled: 0,
    disconnected: 0,
    dlqDropped: 0,
    devices: new Set(),
    loggedAt: Number.NEGATIVE_INFINITY,
  }
  // A whole socket read is dispatched at once (aedes lib/client.js enqueue): every publish of it
  // behind the first refused one is refused too, and the close is counted once.
  const closing = new WeakSet<object>()

  /** Logs the first event at once, then what accumulated, at most once a LOG_WINDOW_MS. */
  function note(deviceId: string, kind: 'throttled' | 'disconnected' | 'dlqDropped'): void {
    window[kind]++
    if (window.devices.size < 100) window.devices.add(deviceId)
    const now = clock.now()
    if (now - window.loggedAt < LOG_WINDOW_MS) return
    log.warn(
      {
        throttled: window.throttled,
        disconnected: window.disconnected,
        dlqDropped: window.dlqDropped,
        devices: [...window.devices].slice(0, 10),
        deviceCount: window.devices.size,
        sinceMs: Number.isFinite(window.loggedAt) ? now - window.loggedAt : 0,
      },
      'devices over their per-device quota (throttled publishes, closed connections, DLQ records dropped)',
    )
    Object.assign(window, { throttled: 0, disconnected: 0, dlqDropped: 0, loggedAt: now })
    window.devices.clear()
  }

  return {
    publish(deviceId, bytes, connection) {
      if (closing.has(connection)) return Promise.reject(new Error('connection closing: publish rate'))
      const verdict = quota.publish(deviceId, bytes)
      if (verdict.action === 'disconnect') {
        closing.add(connection)
        metrics.quotaDisconnects.inc({ reason: `${verdict.limit}_rate` })
        note(deviceId, 'disconnected')
        // MQTT 3.1.1 has no negative PUBACK: refusing means closing [MQTT-3.3.5-2]; no PUBACK, so
        // the device keeps the reading and resends it later at a rate the bucket allows.
        return Promise.reject(
          new Error(`publish rate over limits.devicePublish (would wait ${verdict.delayMs} ms)`),
        )
      }
      if (verdict.delayMs === 0) return undefined
      metrics.publishesThrottled.inc({ reason: `${verdict.limit ?? 'messages'}_rate` })
      metrics.throttleSeconds.inc(verdict.delayMs / 1000)
      note(deviceId, 'throttled')
      return clock.sleep(verdict.delayMs)
    },
    dlq(deviceId, reason) {
      if (quota.dlq(deviceId)) return true
      metrics.dlqDropped.inc({ reason })
      note(deviceId, 'dlqDropped')
      return false
    },
  }
}
