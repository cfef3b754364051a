import type { Clock } from '../core/clock.js'
import { createLruMap } from '../core/lru-map.js'

/** Per-device limits (issue #10, finding 9; ADR 0013): `limits.devicePublish` and `limits.dlqQuota`. */
export interface DeviceQuotaLimits {
  devicePublish: {
    messagesPerSecond: number
    messagesBurst: number
    bytesPerSecond: number
    bytesBurst: number
    /** A publish that would have to wait longer than this closes the connection instead. */
    maxThrottleMs: number
  }
  dlqQuota: { perMinute: number; burst: number }
  maxTrackedDevices: number
}

/**
 * What to do with one publish: forward it now (`delayMs` 0), hold it (and with it the socket's
 * next reads) for `delayMs`, or close the connection (the device is so far over its rate that
 * holding it longer would only stall its keepalive).
 */
export type PublishVerdict =
  | { action: 'forward'; delayMs: number; limit?: 'messages' | 'bytes' }
  | { action: 'disconnect'; delayMs: number; limit: 'messages' | 'bytes' }

export interface DeviceQuota {
  /** A PUBLISH of `bytes` payload bytes from this device, now. */
  publish(deviceId: string, bytes: number): PublishVerdict
  /** A rejected payload of this device: true when it may still get a DLQ record of its own. */
  dlq(deviceId: string): boolean
  /** Per-device entries held (bounded by maxTrackedDevices). */
  tracked(): number
}

interface DeviceState {
  messages: number
  bytes: number
  refilledAt: number
  letters: number
  lettersRefilledAt: number
}

/**
 * Token buckets per device id (not per connection, so a reconnect does not refill them): messages
 * and bytes per second for publishes, DLQ records per minute for poison. Pure logic on an
 * injected clock. Buckets may go into debt: a publish that finds them empty is still accepted and
 * told how long to wait, so the device's publishes keep their order and the next one waits
 * behind it (EMQX's limiter does the same: it pauses reading the client's socket).
 *
 * The map is an LRU (a Map in touch order) bounded by maxTrackedDevices. Evicting an entry only
 * refills that device's buckets, so a fleet larger than the bound costs precision, not memory.
 */
export function createDeviceQuota(limits: DeviceQuotaLimits, clock: Pick<Clock, 'now'>): DeviceQuota {
  const { devicePublish: pub, dlqQuota } = limits
  const states = createLruMap<string, DeviceState>(limits.maxTrackedDevices)

  function stateOf(deviceId: string, now: number): DeviceState {
    return states.use(deviceId, () => ({
      messages: pub.messagesBurst,
      bytes: pub.bytesBurst,
      refilledAt: now,
      letters: dlqQuota.burst,
      lettersRefilledAt: now,
    }))
  }

  return {
    publish(deviceId, bytes) {
      const now = clock.now()
      const state = stateOf(deviceId, now)
      const elapsedS = Math.max(0, now - state.refilledAt) / 1000
      state.messages = Math.min(pub.messagesBurst, state.messages + elapsedS * pub.messagesPerSecond)
      state.bytes = Math.min(pub.bytesBurst, state.bytes + elapsedS * pub.bytesPerSecond)
      state.refilledAt = now
      const messages = state.messages - 1
      const byteTokens = state.bytes - bytes
      const messagesWait = messages < 0 ? (-messages / pub.messagesPerSecond) * 1000 : 0
      const bytesWait = byteTokens < 0 ? (-byteTokens / pub.bytesPerSecond) * 1000 : 0
      const delayMs = Math.ceil(Math.max(messagesWait, bytesWait))
      if (delayMs === 0) {
        state.messages = messages
        state.bytes = byteTokens
        return { action: 'forward', delayMs: 0 }
      }
      const limit = bytesWait > messagesWait ? 'bytes' : 'messages'
      // Not charged: the connection closes, and the debt it would leave is already at the cap.
      if (delayMs > pub.maxThrottleMs) return { action: 'disconnect', delayMs, limit }
      state.messages = messages
      state.bytes = byteTokens
      return { action: 'forward', delayMs, limit }
    },

    dlq(deviceId) {
      const now = clock.now()
      const state = stateOf(deviceId, now)
      const elapsedMin = Math.max(0, now - state.lettersRefilledAt) / 60_000
      state.letters = Math.min(dlqQuota.burst, state.letters + elapsedMin * dlqQuota.perMinute)
      state.lettersRefilledAt = now
      if (state.letters < 1) return false
      state.letters -= 1
      return true
    },

    tracked: () => states.size,
  }
}
