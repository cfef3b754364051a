/** A record as Pulsewire sees it, independent of the Kafka client library. */
export interface KafkaRecord {
  topic: string
  partition: number
  offset: number
  key: string | undefined
  value: Buffer
  /** Broker or producer timestamp, ms since the epoch. */
  timestamp: number | undefined
  headers: Record<string, Buffer>
}

export interface OutgoingRecord {
  topic: string
  key: string
  value: Buffer
  headers?: Record<string, string | Buffer>
  /** Record timestamp, ms since the epoch; the broker's time when absent. */
  timestamp?: number
  /** An explicit partition: bypasses the partitioner. Absent: the key places the record. */
  partition?: number
}

/**
 * A record about a partition rather than a device: no key, an explicit partition (a gateway
 * heartbeat). Kept apart from OutgoingRecord so code that reads a produced record's key still
 * gets a string.
 */
export interface PartitionRecord extends Omit<OutgoingRecord, 'key' | 'partition'> {
  key?: undefined
  partition: number
}

/** What a producer accepts. */
export type ProduceRecord = OutgoingRecord | PartitionRecord

/** Where a produced record landed, from the delivery report. */
export interface DeliveryReport {
  topic: string
  partition: number
  offset: number
}
