import { encodeAlertEvent, type AlertEvent } from '../../core/alerts/alert-event.js'
import type { OutgoingRecord } from '../../core/kafka/records.js'
import { HEADERS } from '../../core/telemetry/headers.js'
import { CHANNELS } from '../../core/telemetry/topics.js'
import type { AlertingMetrics } from './metrics.js'

/** A transition as a record of alerts.events.v1: keyed by device, its id readable without decoding. */
export function alertEventRecord(event: AlertEvent): OutgoingRecord {
  return {
    topic: CHANNELS.alertEvents,
    key: event.deviceId,
    value: Buffer.from(encodeAlertEvent(event)),
    headers: {
      [HEADERS.alertId]: event.alertId,
      [HEADERS.transition]: event.transition,
      [HEADERS.priority]: event.priority,
    },
  }
}

/** Counts the transitions of a committed batch and, for those a reading caused, the emit latency SLO. */
export function observeEmitted(
  metrics: AlertingMetrics,
  events: readonly AlertEvent[],
  emittedMs: number,
): void {
  for (const event of events) {
    metrics.transitions.inc({
      rule_type: event.ruleType,
      transition: event.transition,
      priority: event.priority,
    })
    // The SLO is reading → alert: operator transitions, escalations and the watch's own alarms come from no reading.
    const fromReading = !event.late && !event.commandId && !event.escalation
    if (fromReading) metrics.emitLatency.observe(Math.max(0, emittedMs - event.eventTsMs) / 1000)
  }
}
