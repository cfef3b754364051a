import { alertId, encodeAlertEvent, type AlertEvent } from '../../core/alerts/alert-event.js'
import type { KafkaRecord } from '../../core/kafka/records.js'

/** An alert transition as the alerting processor emits it; override what a test is about. */
export function alertEvent(overrides: Partial<AlertEvent> = {}): AlertEvent {
  const deviceId = overrides.deviceId ?? 'bm-0001'
  const ruleId = overrides.ruleId ?? 'spo2-low'
  const episode = overrides.episode ?? 3
  return {
    alertId: alertId(deviceId, ruleId, episode),
    deviceId,
    subjectId: 'enc-7f3c',
    ruleId,
    ruleType: 'threshold',
    kind: 'physiological',
    priority: 'medium',
    transition: 'raised',
    metric: 'spo2',
    value: 86,
    limit: 90,
    eventTsMs: Date.UTC(2026, 0, 1, 9, 30, 15),
    emittedTsMs: Date.UTC(2026, 0, 1, 9, 30, 15, 250),
    latching: false,
    episode,
    message: 'SpO2 86 % < 90 % for 15 s',
    actor: '',
    late: false,
    ...overrides,
  }
}

export function alertRecord(event: AlertEvent, offset: number, partition = 0): KafkaRecord {
  return {
    topic: 'alerts.events.v1',
    partition,
    offset,
    key: event.deviceId,
    value: Buffer.from(encodeAlertEvent(event)),
    timestamp: event.emittedTsMs,
    headers: {},
  }
}
