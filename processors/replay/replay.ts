import type { KafkaConfig } from '../../core/config/shared.js'
import { PipelineError } from '../../core/errors.js'
import { STORAGE_CHANNELS } from '../../core/influx/layout.js'
import { committedOffsets } from '../../core/kafka/admin.js'
import { commitGroupOffsets, offsetsForTime, watermarks } from '../../core/kafka/positions.js'
import { readRanges, type OffsetRange } from '../../core/kafka/range-reader.js'
import type { KafkaRecord } from '../../core/kafka/records.js'
import { CHANNELS } from '../../core/telemetry/topics.js'
import { resolveRanges, selectPartitions, type PartitionSelection, type Position } from './positions.js'
import type { ReplayTarget } from './targets.js'

/** Where replayed records go. */
export type ReplayInto = 'storage' | 'sink' | 'alerting' | 'group' | 'dry-run'

export interface ReplayRequest {
  kafka: KafkaConfig
  channel: string
  from: Position
  to: Position
  selection: PartitionSelection
  into: ReplayInto
  /** Built by the caller for storage, sink and dry-run (the guard runs before it is started). */
  target?: ReplayTarget | undefined
  /** For `into: 'group'`: the brand-new group to position. */
  groupId?: string | undefined
  nowMs: () => number
  /** Told about progress (the CLI prints a line on stderr). */
  onProgress?(progress: ReplayProgress): void
}

export interface PartitionSummary {
  partition: number
  from: number
  to: number
  /** The next offset read when the replay ended (= to when it completed). */
  position: number
  read: number
  written: number
  skipped: number
}

export interface ReplayProgress {
  records: number
  recordsPerSecond: number
  partitions: readonly PartitionSummary[]
}

export interface ReplaySummary {
  channel: string
  into: ReplayInto
  target: string
  groupId?: string
  device?: string
  durationMs: number
  read: number
  written: number
  skipped: number
  skipReasons: Record<string, number>
  partitions: PartitionSummary[]
}

const ALERT_INPUTS = new Set<string>([
  CHANNELS.vitals,
  CHANNELS.environment,
  CHANNELS.status,
  CHANNELS.alertCommands,
])

/**
 * A replay never re-evaluates telemetry into the live alert channel: every live sink would get the
 * same alert ids again (issue #14). Checked before anything connects.
 */
export function checkReplay(request: Pick<ReplayRequest, 'channel' | 'into' | 'selection' | 'to'>): void {
  const { channel, into } = request
  if (into === 'alerting') {
    throw new PipelineError(
      'REPLAY_LIVE_ALERTS_REFUSED',
      `refused: replaying ${channel} into alerting would write alert transitions to the live ${CHANNELS.alertEvents} ` +
        '(every live sink would see the same alert ids again). Evaluate history offline instead: the rule ' +
        'fixtures (test/fixtures/rules) or `pulsewire score`; to re-drive alerts that were already raised, ' +
        `replay ${CHANNELS.alertEvents} --into sink.`,
    )
  }
  const mismatch = (message: string): PipelineError => new PipelineError('REPLAY_TARGET_MISMATCH', message)
  if (into === 'storage' && !(STORAGE_CHANNELS as readonly string[]).includes(channel))
    throw mismatch(`storage takes ${STORAGE_CHANNELS.join(' and ')}, not ${channel}`)
  if (into === 'sink' && channel !== CHANNELS.alertEvents && ALERT_INPUTS.has(channel))
    throw mismatch(`an alert sink takes ${CHANNELS.alertEvents}, not ${channel}`)
  if (into === 'group') {
    if (request.selection.device !== undefined)
      throw new PipelineError('REPLAY_INVALID_RANGE', '--to-group positions whole partitions: drop --device')
    if (request.to.kind !== 'now')
      throw new PipelineError(
        'REPLAY_INVALID_RANGE',
        '--to-group only sets where the group starts: drop --to',
      )
  }
}

/** Plans, reads and hands records to the target; or, for a group, commits its start offsets. */
export async function runReplay(request: ReplayRequest): Promise<ReplaySummary> {
  checkReplay(request)
  const started = request.nowMs()
  const marks = await watermarks(request.kafka, request.channel)
  if (marks.length === 0)
    throw new PipelineError('REPLAY_UNKNOWN_CHANNEL', `channel ${request.channel} does not exist`)
  const partitions = selectPartitions(marks.length, request.selection)
  const ranges = await resolveRanges(request.channel, marks, partitions, request.from, request.to, (ms) =>
    offsetsForTime(request.kafka, request.channel, marks, ms),
  )
  const rows = new Map<number, PartitionSummary>(
    ranges.map((r) => [
      r.partition,
      { partition: r.partition, from: r.from, to: r.to, position: r.from, read: 0, written: 0, skipped: 0 },
    ]),
  )
  const base = {
    channel: request.channel,
    into: request.into,
    ...(request.selection.device !== undefined && { device: request.selection.device }),
  }
  if (request.into === 'group') return positionGroup(request, ranges, rows, base, started)
  const target = request.target
  if (!target) throw new Error('a replay into storage, a sink or a dry run needs its target')
  const skippedOther = { device: 0 }
  await target.start()
  try {
    await readRanges({
      kafka: request.kafka,
      clientId: `pulsewire-replay-${process.pid}`,
      ranges,
      handle: (records) => handleBatch(records, request.selection.device, target, rows, skippedOther),
      onProgress(positions) {
        for (const row of rows.values())
          row.position = positions.get(`${request.channel}/${row.partition}`) ?? row.position
        const read = total(rows, 'read')
        const seconds = Math.max(0.001, (request.nowMs() - started) / 1000)
        request.onProgress?.({
          records: read,
          recordsPerSecond: read / seconds,
          partitions: [...rows.values()],
        })
      },
    })
  } finally {
    await target.stop()
  }
  const skipReasons = target.skipReasons()
  if (skippedOther.device > 0) skipReasons['other_device'] = skippedOther.device
  return summary({ ...base, target: target.name, skipReasons }, rows, started, request.nowMs())
}

async function handleBatch(
  records: KafkaRecord[],
  device: string | undefined,
  target: ReplayTarget,
  rows: Map<number, PartitionSummary>,
  skippedOther: { device: number },
): Promise<void> {
  const mine: KafkaRecord[] = []
  for (const r of records) {
    const row = rows.get(r.partition)
    if (row) row.read++
    // A device's partition holds other devices too: only its own records go on.
    if (device !== undefined && r.key !== device) {
      skippedOther.device++
      if (row) row.skipped++
    } else mine.push(r)
  }
  if (mine.length === 0) return
  const outcomes = await target.handle(mine)
  mine.forEach((r, i) => {
    const row = rows.get(r.partition)
    if (!row) return
    if (outcomes[i] === 'written') row.written++
    else row.skipped++
  })
}

async function positionGroup(
  request: ReplayRequest,
  ranges: readonly OffsetRange[],
  rows: Map<number, PartitionSummary>,
  base: Pick<ReplaySummary, 'channel' | 'into' | 'device'>,
  started: number,
): Promise<ReplaySummary> {
  const groupId = request.groupId
  if (!groupId) throw new PipelineError('REPLAY_INVALID_RANGE', '--to-group needs a group name')
  const existing = await committedOffsets(
    request.kafka,
    groupId,
    (await watermarks(request.kafka, request.channel)).map((m) => ({
      topic: request.channel,
      partition: m.partition,
    })),
  )
  if (existing.length > 0) {
    throw new PipelineError(
      'REPLAY_GROUP_EXISTS',
      `group ${groupId} already has committed offsets on ${request.channel} ` +
        `(${existing.length} partitions): only a brand-new group is positioned, so no live group moves`,
    )
  }
  await commitGroupOffsets(
    request.kafka,
    groupId,
    ranges.map((r) => ({ topic: r.topic, partition: r.partition, offset: r.from })),
  )
  return summary(
    { ...base, target: `group:${groupId}`, groupId, skipReasons: {} },
    rows,
    started,
    request.nowMs(),
  )
}

function total(rows: ReadonlyMap<number, PartitionSummary>, key: 'read' | 'written' | 'skipped'): number {
  let sum = 0
  for (const row of rows.values()) sum += row[key]
  return sum
}

function summary(
  head: Pick<ReplaySummary, 'channel' | 'into' | 'target' | 'groupId' | 'device' | 'skipReasons'>,
  rows: ReadonlyMap<number, PartitionSummary>,
  started: number,
  now: number,
): ReplaySummary {
  return {
    ...head,
    durationMs: now - started,
    read: total(rows, 'read'),
    written: total(rows, 'written'),
    skipped: total(rows, 'skipped'),
    partitions: [...rows.values()].sort((a, b) => a.partition - b.partition),
  }
}
