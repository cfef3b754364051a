/**
 * Reconciliation by (device, seq): what each device published, what was acknowledged, what a
 * consumer saw in Kafka and what InfluxDB holds. Loss is computed from these sets, never
 * assumed: for QoS 1 a reading is lost when it was acknowledged but is not stored (the
 * delivery promise broken); QoS 0 promises nothing, so anything published and not stored is lost.
 */
export interface DeviceLedger {
  deviceId: string
  /** The device published seqs 1..lastSeq. */
  lastSeq: number
  /** Published seqs never acknowledged (still unacknowledged at the end, or failed). */
  notAcked: ReadonlySet<number>
  /** Published seqs whose publish failed outright (QoS 0 while disconnected); a subset of notAcked. */
  sendFailed: ReadonlySet<number>
  /** Times each seq was seen in Kafka, indexed by seq (saturating at 255). */
  kafkaCounts: Uint8Array
  /** Readings stored: 'all' when InfluxDB holds every reading the device published, else per seq. */
  stored: 'all' | ReadonlyMap<number, number>
  /** Points InfluxDB holds for the device that are not readings of this run (should be 0). */
  foreignPoints: number
}

export interface DeviceReconciliation {
  deviceId: string
  published: number
  acked: number
  inKafka: number
  kafkaDuplicates: number
  /** Acknowledged, yet never seen in Kafka. */
  ackedNotInKafka: number
  storedMessages: number
  storedReadings: number
  lostMessages: number
  lostReadings: number
  /** The lost seqs as ranges, e.g. "12-40,55". */
  lostSeqs: string
  foreignPoints: number
}

export interface Reconciliation {
  qos: 0 | 1
  lossRule: 'acknowledged but not stored' | 'published but not stored'
  published: number
  acked: number
  sendFailed: number
  notAcked: number
  inKafka: number
  kafkaDuplicates: number
  ackedNotInKafka: number
  storedMessages: number
  storedReadings: number
  expectedReadings: number
  lostMessages: number
  lostReadings: number
  devicesWithLoss: number
  foreignPoints: number
  /** Devices where anything is off (loss, duplicates, acked-not-in-Kafka, foreign points), worst first. */
  devices: DeviceReconciliation[]
}

export function reconcileDevice(ledger: DeviceLedger, samples: number, qos: 0 | 1): DeviceReconciliation {
  const lost: number[] = []
  let inKafka = 0
  let duplicates = 0
  let ackedNotInKafka = 0
  let storedMessages = 0
  let storedReadings = 0
  let lostReadings = 0
  for (let seq = 1; seq <= ledger.lastSeq; seq++) {
    const seen = ledger.kafkaCounts[seq] ?? 0
    const acked = !ledger.notAcked.has(seq)
    if (seen > 0) inKafka++
    duplicates += Math.max(0, seen - 1)
    if (acked && seen === 0) ackedNotInKafka++
    const readings = ledger.stored === 'all' ? samples : Math.min(samples, ledger.stored.get(seq) ?? 0)
    storedReadings += readings
    if (readings === samples) storedMessages++
    const promised = qos === 1 ? acked : true
    if (promised && readings < samples) {
      lost.push(seq)
      lostReadings += samples - readings
    }
  }
  return {
    deviceId: ledger.deviceId,
    published: ledger.lastSeq,
    acked: ledger.lastSeq - ledger.notAcked.size,
    inKafka,
    kafkaDuplicates: duplicates,
    ackedNotInKafka,
    storedMessages,
    storedReadings,
    lostMessages: lost.length,
    lostReadings,
    lostSeqs: formatRanges(lost),
    foreignPoints: ledger.foreignPoints,
  }
}

export function reconcile(ledgers: readonly DeviceLedger[], samples: number, qos: 0 | 1): Reconciliation {
  const rows = ledgers.map((l) => reconcileDevice(l, samples, qos))
  const sum = (pick: (r: DeviceReconciliation) => number): number => rows.reduce((a, r) => a + pick(r), 0)
  const anomalous = rows.filter(
    (r) => r.lostMessages > 0 || r.kafkaDuplicates > 0 || r.ackedNotInKafka > 0 || r.foreignPoints > 0,
  )
  anomalous.sort((a, b) => b.lostReadings - a.lostReadings || a.deviceId.localeCompare(b.deviceId))
  return {
    qos,
    lossRule: qos === 1 ? 'acknowledged but not stored' : 'published but not stored',
    published: sum((r) => r.published),
    acked: sum((r) => r.acked),
    sendFailed: ledgers.reduce((a, l) => a + l.sendFailed.size, 0),
    notAcked: ledgers.reduce((a, l) => a + l.notAcked.size, 0),
    inKafka: sum((r) => r.inKafka),
    kafkaDuplicates: sum((r) => r.kafkaDuplicates),
    ackedNotInKafka: sum((r) => r.ackedNotInKafka),
    storedMessages: sum((r) => r.storedMessages),
    storedReadings: sum((r) => r.storedReadings),
    expectedReadings: sum((r) => r.published) * samples,
    lostMessages: sum((r) => r.lostMessages),
    lostReadings: sum((r) => r.lostReadings),
    devicesWithLoss: rows.filter((r) => r.lostMessages > 0).length,
    foreignPoints: sum((r) => r.foreignPoints),
    devices: anomalous,
  }
}

/** Sorted integers as compact ranges: [1,2,3,7,9,10] → "1-3,7,9-10". */
export function formatRanges(sorted: readonly number[]): string {
  const parts: string[] = []
  let i = 0
  while (i < sorted.length) {
    const first = sorted[i] as number
    let last = first
    while (i + 1 < sorted.length && sorted[i + 1] === last + 1) last = sorted[++i] as number
    parts.push(first === last ? String(first) : `${first}-${last}`)
    i++
  }
  return parts.join(',')
}

/** The inverse of formatRanges. */
export function parseRanges(text: string): number[] {
  if (!text) return []
  return text.split(',').flatMap((part) => {
    const [a, b] = part.split('-').map(Number)
    if (a === undefined) return []
    const end = b ?? a
    return Array.from({ length: end - a + 1 }, (_, k) => a + k)
  })
}
