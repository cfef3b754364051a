import type { Logger } from 'pino'
import type { KafkaConfig } from '../../core/config/shared.js'
import { PipelineError } from '../../core/errors.js'
import { createKafkaAdmin } from '../../core/kafka/admin.js'
import { javaPartition } from '../../core/kafka/murmur2.js'
import { offsetsForTime, watermarks, type PartitionWatermarks } from '../../core/kafka/positions.js'
import { readRanges, type OffsetRange } from '../../core/kafka/range-reader.js'
import type { KafkaRecord } from '../../core/kafka/records.js'
import { channelTopicSpecs } from '../../core/kafka/topic-specs.js'
import { createTransactionalProducer } from '../../core/kafka/transactional-producer.js'
import { CHANNEL_SPECS, CHANNELS } from '../../core/telemetry/topics.js'
import type { DeviceDirectory } from '../../gateway/auth.js'
import type { ValidationLimits } from '../../gateway/validate.js'
import { dlqEntry, matches, parseDlqId, type DlqEntry, type DlqFilter } from './entry.js'
import { judgeRedrive } from './judge.js'
import { ledgerKey, ledgerRecord, readLedger } from './ledger.js'

/** Which DLQ records to read: a filter over a time window, or explicit ids. */
export interface DlqSelection extends DlqFilter {
  ids?: readonly string[] | undefined
}

async function dlqRanges(kafka: KafkaConfig, selection: DlqSelection): Promise<OffsetRange[]> {
  const topic = CHANNELS.dlq
  const marks = await watermarks(kafka, topic)
  if (marks.length === 0) return []
  if (selection.ids && selection.ids.length > 0) return idRanges(marks, selection.ids)
  const from =
    selection.sinceMs === undefined ? undefined : await offsetsForTime(kafka, topic, marks, selection.sinceMs)
  const home = selection.device === undefined ? undefined : javaPartition(selection.device, marks.length)
  return marks
    .filter((m) => home === undefined || m.partition === home)
    .map((m) => ({ topic, partition: m.partition, from: from?.get(m.partition) ?? m.low, to: m.high }))
}

function idRanges(marks: readonly PartitionWatermarks[], ids: readonly string[]): OffsetRange[] {
  return ids.map((id) => {
    const at = parseDlqId(id)
    if (!at)
      throw new PipelineError(
        'REPLAY_INVALID_RANGE',
        `"${id.slice(0, 40)}" is not a DLQ id (<partition>:<offset>)`,
      )
    const mark = marks.find((m) => m.partition === at.partition)
    if (!mark || at.offset < mark.low || at.offset >= mark.high)
      throw new PipelineError(
        'DLQ_RECORD_NOT_FOUND',
        `no DLQ record ${id} (out of range or deleted by retention)`,
      )
    return { topic: CHANNELS.dlq, partition: at.partition, from: at.offset, to: at.offset + 1 }
  })
}

/** Reads the selected DLQ records in offset order per partition; filters apply to ids too. */
async function eachRecord(
  kafka: KafkaConfig,
  selection: DlqSelection,
  handle: (records: KafkaRecord[]) => Promise<void>,
): Promise<void> {
  const ranges = await dlqRanges(kafka, selection)
  const wanted = new Set(selection.ids ?? [])
  await readRanges({
    kafka,
    clientId: `pulsewire-dlq-${process.pid}`,
    ranges,
    handle: (records) =>
      handle(
        records.filter((r) => {
          if (wanted.size > 0 && !wanted.has(`${r.partition}:${r.offset}`)) return false
          return matches(dlqEntry(r), selection)
        }),
      ),
  })
}

/** The matching entries in time order; with a limit, the latest ones. */
export async function listDlq(
  kafka: KafkaConfig,
  selection: DlqSelection,
  limit: number,
): Promise<DlqEntry[]> {
  const entries: DlqEntry[] = []
  await eachRecord(kafka, selection, (records) => {
    entries.push(...records.map(dlqEntry))
    entries.sort((a, b) => a.timeMs - b.timeMs || a.partition - b.partition || a.offset - b.offset)
    if (entries.length > limit) entries.splice(0, entries.length - limit)
    return Promise.resolve()
  })
  return entries
}

/** One DLQ record with everything it carries. */
export async function showDlq(kafka: KafkaConfig, id: string): Promise<KafkaRecord> {
  let found: KafkaRecord | undefined
  await eachRecord(kafka, { ids: [id] }, (records) => {
    found ??= records[0]
    return Promise.resolve()
  })
  if (!found) throw new PipelineError('DLQ_RECORD_NOT_FOUND', `no DLQ record ${id}`)
  return found
}

export type RedriveOutcome = 'redriven' | 'still_rejected' | 'already_redriven' | 'not_redrivable'

export interface RedriveResult {
  id: string
  device: string | undefined
  outcome: RedriveOutcome
  reason?: string
  detail?: string
  topic?: string
  bootId?: string
  seq?: number
}

export interface RedriveSummary {
  selected: number
  counts: Record<RedriveOutcome, number>
  /** Still rejected, by the reason validation gives now. */
  stillRejectedBy: Record<string, number>
  results: RedriveResult[]
}

export interface RedriveOptions {
  kafka: KafkaConfig
  selection: DlqSelection
  directory: Pick<DeviceDirectory, 'lookup'>
  limits: ValidationLimits
  dryRun: boolean
  logger: Logger
  nowMs: () => number
  /** Stable, so a second re-drive started meanwhile fences the first (one writer at a time). */
  transactionalId?: string
}

/**
 * Re-drives DLQ records that pass validation now. Each passing record and its ledger entry are
 * written in one transaction; a record whose id is in the ledger is counted and skipped, so
 * re-driving the same record twice produces it once.
 */
export async function redriveDlq(options: RedriveOptions): Promise<RedriveSummary> {
  const { kafka } = options
  if (!options.dryRun) {
    const admin = createKafkaAdmin(kafka, 'pulsewire-dlq-admin')
    try {
      const specs = CHANNEL_SPECS.filter((s) => s.name === CHANNELS.dlqRedriven)
      await admin.ensureTopics(channelTopicSpecs(specs, kafka.topics), { logger: options.logger })
    } finally {
      admin.close()
    }
  }
  const ledger = await readLedger(kafka)
  const summary: RedriveSummary = {
    selected: 0,
    counts: { redriven: 0, still_rejected: 0, already_redriven: 0, not_redrivable: 0 },
    stillRejectedBy: {},
    results: [],
  }
  const producer = options.dryRun
    ? undefined
    : createTransactionalProducer({
        kafka,
        clientId: 'pulsewire-dlq-redrive',
        transactionalId: options.transactionalId ?? 'pulsewire-dlq-redrive',
        logger: options.logger,
      })
  await producer?.start()
  try {
    await eachRecord(kafka, options.selection, async (records) => {
      const batch = records.map((r) => judgeOne(r, ledger, options, summary))
      const out = batch.flatMap((b) => (b ? [b.record, ledgerRecord(b.ledger)] : []))
      if (producer && out.length > 0) await producer.commit(out, [])
      for (const b of batch) if (b) ledger.set(ledgerKey(b.ledger.dlq), b.ledger)
    })
  } finally {
    await producer?.stop()
  }
  return summary
}

function judgeOne(
  record: KafkaRecord,
  ledger: ReadonlyMap<string, unknown>,
  options: RedriveOptions,
  summary: RedriveSummary,
) {
  const id = `${record.partition}:${record.offset}`
  const device = record.key || undefined
  summary.selected++
  const note = (result: RedriveResult): void => {
    summary.counts[result.outcome]++
    summary.results.push(result)
  }
  if (ledger.has(id)) {
    note({ id, device, outcome: 'already_redriven' })
    return undefined
  }
  const verdict = judgeRedrive(record, options.directory, options.limits)
  if (verdict.kind === 'not_redrivable') {
    note({ id, device, outcome: 'not_redrivable', detail: verdict.why })
    return undefined
  }
  if (verdict.kind === 'rejected') {
    summary.stillRejectedBy[verdict.reason] = (summary.stillRejectedBy[verdict.reason] ?? 0) + 1
    note({ id, device, outcome: 'still_rejected', reason: verdict.reason, detail: verdict.detail })
    return undefined
  }
  const topic = verdict.record.topic
  note({ id, device, outcome: 'redriven', topic, bootId: verdict.bootId, seq: verdict.seq })
  if (options.dryRun) return undefined
  const entry = {
    v: 1 as const,
    dlq: { partition: record.partition, offset: record.offset },
    to: { topic, key: verdict.record.key },
    atMs: options.nowMs(),
  }
  return { record: verdict.record, ledger: entry }
}
