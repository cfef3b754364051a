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
}

/** Where a produced record landed, from the delivery report. */
export interface DeliveryReport {
  topic: string
  partition: number
  offset: number
}
