import { ALERT_PRIORITIES, type AlertEvent } from '../../../core/alerts/alert-event.js'
import { toAlertJson, type AlertJson } from '../alert-json.js'

/** An open alert of a device: its latest transition, and whether someone acknowledged it. */
export interface ActiveAlert extends AlertJson {
  acknowledged: boolean
}

/** What a device's retained `alerts/{deviceId}` message says: its alarm state as of `latest`. */
export interface DeviceAlertState {
  schema: 'pulsewire.alert-state.v1'
  deviceId: string
  /** The transition that produced this state. */
  latest: AlertJson
  /** Open alerts, most urgent first. */
  active: ActiveAlert[]
  /** The highest priority among `active`, or null when the device has no open alert. */
  highestPriority: AlertEvent['priority'] | null
}

interface DeviceEntry {
  active: Map<string, ActiveAlert>
  /** Highest closed episode per rule: a late redelivery of an older episode never re-opens it. */
  closed: Map<string, number>
}

/** Transitions that end an episode: cleared (condition over) and reset (latched alarm acknowledged after it ended). */
const CLOSING = new Set<AlertEvent['transition']>(['cleared', 'reset'])

/**
 * The per-device set of open alerts, rebuilt from the alert channel at start and kept current by
 * every transition. Applying a transition twice gives the same state (redeliveries are harmless).
 */
export class ActiveAlerts {
  readonly #devices = new Map<string, DeviceEntry>()

  apply(event: AlertEvent): void {
    const device = this.#entry(event.deviceId)
    if ((device.closed.get(event.ruleId) ?? 0) >= event.episode) return
    if (CLOSING.has(event.transition)) {
      device.active.delete(event.alertId)
      device.closed.set(event.ruleId, event.episode)
      return
    }
    const previous = device.active.get(event.alertId)
    // The engine drops an acknowledgement when an alarm escalates: a more severe condition needs a new response.
    const acknowledged =
      event.transition === 'acknowledged' ||
      (event.transition !== 'escalated' && (previous?.acknowledged ?? false))
    device.active.set(event.alertId, { ...toAlertJson(event), acknowledged })
  }

  /** The retained message for the device of this transition (apply it first). */
  stateOf(event: AlertEvent): DeviceAlertState {
    const active = [...(this.#devices.get(event.deviceId)?.active.values() ?? [])].sort(
      (a, b) => rank(b.priority) - rank(a.priority) || a.eventTsMs - b.eventTsMs,
    )
    return {
      schema: 'pulsewire.alert-state.v1',
      deviceId: event.deviceId,
      latest: toAlertJson(event),
      active,
      highestPriority: active[0]?.priority ?? null,
    }
  }

  /** Open alerts of a device (tests, debugging). */
  activeOf(deviceId: string): ActiveAlert[] {
    return [...(this.#devices.get(deviceId)?.active.values() ?? [])]
  }

  #entry(deviceId: string): DeviceEntry {
    let entry = this.#devices.get(deviceId)
    if (!entry) {
      entry = { active: new Map(), closed: new Map() }
      this.#devices.set(deviceId, entry)
    }
    return entry
  }
}

const rank = (priority: AlertEvent['priority']): number => ALERT_PRIORITIES.indexOf(priority)
