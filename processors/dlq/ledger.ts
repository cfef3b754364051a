import type { KafkaConfig } from '../../core/config/shared.js'
import { watermarks } from '../../core/kafka/positions.js'
import { readRanges } from '../../core/kafka/range-reader.js'
import type { OutgoingRecord } from '../../core/kafka/records.js'
import { CHANNELS } from '../../core/telemetry/topics.js'

/**
 * The re-drive ledger (`telemetry.dlq.redriven.v1`, compacted): one record per re-driven DLQ
 * record, key `<partition>:<offset>`, written in the same Kafka transaction as the re-driven copy,
 * so either both are visible or neither (ADR 0020). Reading it whole is reading one small record
 * per re-driven payload.
 */
export interface LedgerEntry {
  v: 1
  dlq: { partition: number; offset: number }
  to: { topic: string; key: string }
  atMs: number
}

export const ledgerKey = (dlq: { partition: number; offset: number }): string =>
  `${dlq.partition}:${dlq.offset}`

export function ledgerRecord(entry: LedgerEntry): OutgoingRecord {
  return { topic: CHANNELS.dlqRedriven, key: ledgerKey(entry.dlq), value: Buffer.from(JSON.stringify(entry)) }
}

/** Every DLQ id re-driven so far (read committed: an aborted re-drive is not in it). */
export async function readLedger(kafka: KafkaConfig): Promise<Map<string, LedgerEntry>> {
  const marks = await watermarks(kafka, CHANNELS.dlqRedriven)
  const ledger = new Map<string, LedgerEntry>()
  await readRanges({
    kafka,
    clientId: `pulsewire-dlq-ledger-${process.pid}`,
    ranges: marks.map((m) => ({
      topic: CHANNELS.dlqRedriven,
      partition: m.partition,
      from: m.low,
      to: m.high,
    })),
    handle(records) {
      for (const r of records) {
        if (!r.key) continue
        try {
          ledger.set(r.key, JSON.parse(r.value.toString('utf8')) as LedgerEntry)
        } catch {
          // Not ours to judge: an unreadable ledger record still names its DLQ id in the key.
          ledger.set(r.key, {
            v: 1,
            dlq: { partition: -1, offset: -1 },
            to: { topic: '?', key: '?' },
            atMs: 0,
          })
        }
      }
      return Promise.resolve()
    },
  })
  return ledger
}
