import { z } from 'zod'
import { MAX_SILENCE_WIRE_MS } from '../../core/alerts/alert-command.js'
import type { AlarmPolicy } from './engine/commands.js'
import { PRIORITIES } from './rules/schema-parts.js'
import { httpSchema, kafkaSchema, logSchema, shutdownSchema } from '../../core/config/shared.js'

const escalateAfter = (priority: string, fallback: number | null) =>
  z
    .number()
    .int()
    .positive()
    .nullable()
    .default(fallback)
    .describe(
      `An unacknowledged ${priority}-priority alarm is escalated (an escalated event with escalation 1) after this many ms on the alerting clock; null: never.`,
    )

/** Operator commands (alerts.commands.v1) and escalation, timed on the alerting clock (processors/alerting/engine/commands.ts). */
export const alarmsSchema = z
  .strictObject({
    escalateAfterMs: z
      .strictObject({
        high: escalateAfter('high', 120_000),
        medium: escalateAfter('medium', null),
        low: escalateAfter('low', null),
      })
      .prefault({})
      .describe('Escalation of unacknowledged alarms, per priority (domain.md §2.4 item 7).'),
    silenceDefaultMs: z
      .number()
      .int()
      .positive()
      .max(MAX_SILENCE_WIRE_MS)
      .default(120_000)
      .describe('Audio pause of a silence command that names no duration.'),
    silenceMaxMs: z
      .number()
      .int()
      .positive()
      .max(MAX_SILENCE_WIRE_MS)
      .default(120_000)
      .describe(
        'Longest audio pause a silence command gets (IEC 60601-1-8 audio paused is time-limited: 2 min on the monitors in domain.md §2.3).',
      ),
    escalationCheckMs: z
      .number()
      .int()
      .positive()
      .max(60_000)
      .default(1_000)
      .describe('How often overdue escalations are looked for when no record arrives.'),
  })
  .refine((a) => a.silenceDefaultMs <= a.silenceMaxMs, {
    message: 'silenceDefaultMs must not exceed silenceMaxMs',
    path: ['silenceDefaultMs'],
  })

/** Per-device time (ADR 0016): the gateway clock per partition, and when its silence means ingress is down. */
export const timeSchema = z.strictObject({
  maxDeviceSkewMs: z
    .number()
    .int()
    .positive()
    .default(300_000)
    .describe(
      "Conditions are timed by a device's reading times while its clock is within this of the gateway's receive time; beyond, its readings are timed by receive time and the clock-fault rule raises a technical alarm.",
    ),
  gapMs: z
    .number()
    .int()
    .positive()
    .default(5_000)
    .describe(
      "Consecutive records (or gateway heartbeats, one a second) of a partition further apart than this in receive time mean ingress was down: the partition's devices' silence timers restart, so no per-device storm follows an outage.",
    ),
  stallMs: z
    .number()
    .int()
    .positive()
    .default(10_000)
    .describe(
      'Nothing from a partition (no record, no heartbeat) for this long on the alerting clock raises one monitoring-unavailable alarm per instance (a stopping gateway extends it to its grace period).',
    ),
  resumeGraceMs: z
    .number()
    .int()
    .min(0)
    .default(10_000)
    .describe(
      'After an ingress gap, devices get this long (gateway clock) to reconnect and send before per-device communication loss applies again.',
    ),
  monitoringPriority: z
    .enum(PRIORITIES)
    .default('high')
    .describe(
      'Priority of the monitoring-unavailable technical alarm: no device on those partitions can alarm.',
    ),
})

/** How often alarm state is written to alerts.state.v1 (ADR 0006, revision of 2026-12-03). */
export const stateSchema = z.strictObject({
  maxDirtyMs: z
    .number()
    .int()
    .min(0)
    .max(60_000)
    .default(5_000)
    .describe(
      "A device's alarm state is written with each of its transitions, and otherwise at most this long after it changed (on the alerting clock); until then its partitions are committed no further than its first unwritten record, so a crash re-reads at most about this long of records. 0: written with every batch that changes it.",
    ),
})

export const alertingConfigSchema = z.strictObject({
  kafka: kafkaSchema.prefault({}),
  groupId: z
    .string()
    .min(1)
    .default('pulsewire-alerting')
    .describe('Consumer group; run more instances to scale out.'),
  rulesFile: z
    .string()
    .min(1)
    .default('deploy/rules/default.yaml')
    .describe('Alert rules (YAML), validated at start; relative to the working directory.'),
  maxBatchSize: z
    .number()
    .int()
    .positive()
    .default(500)
    .describe('Records evaluated per batch (one commit each).'),
  batchWindowMs: z
    .number()
    .int()
    .min(0)
    .max(1_000)
    .default(50)
    .describe(
      'After the first record of a batch, ms to go on collecting records before evaluating: each batch is one Kafka transaction, so a window cuts transactions at low and moderate rates. Adds up to this much to alert latency.',
    ),
  instanceId: z
    .string()
    .min(1)
    .optional()
    .describe(
      'Names this instance among those on one host (e.g. a StatefulSet ordinal); part of the transactional id. Default: the process id.',
    ),
  transactionalId: z
    .string()
    .min(1)
    .optional()
    .describe(
      'Kafka transactional id; must be unique per instance (two instances with one id fence each other). Default <groupId>-<hostname>-<instanceId>.',
    ),
  dedupe: z
    .strictObject({
      windowSeqs: z
        .number()
        .int()
        .min(64)
        .max(1 << 20)
        .default(1024)
        .describe(
          'Sequence numbers remembered per device boot: a resent copy up to this far behind the newest seq is dropped (1 bit each; 1024 = 17 min at 1 Hz, 17 h at one a minute). Older records are evaluated and counted.',
        ),
      maxDevices: z
        .number()
        .int()
        .positive()
        .default(50_000)
        .describe(
          'Devices tracked by duplicate detection (least recently seen forgotten first; about windowSeqs / 8 bytes per boot, 3 boots).',
        ),
    })
    .prefault({})
    .describe('Duplicate detection by (device, boot, seq) (ADR 0004).'),
  fromBeginning: z
    .boolean()
    .default(true)
    .describe('Where a new consumer group starts: the oldest retained record (true) or new records only.'),
  alarms: alarmsSchema.prefault({}),
  time: timeSchema.prefault({}),
  state: stateSchema.prefault({}).describe('Alarm state writes to alerts.state.v1 (ADR 0006).'),
  http: httpSchema(9103).prefault({}),
  log: logSchema.prefault({}),
  shutdown: shutdownSchema.prefault({}),
})

export type AlertingConfig = z.output<typeof alertingConfigSchema>

/** The engine's alarm policy from the alerting config. */
export function alarmPolicy(alarms: AlertingConfig['alarms']): AlarmPolicy {
  const escalateAfterMs: AlarmPolicy['escalateAfterMs'] = {}
  for (const priority of PRIORITIES) {
    const ms = alarms.escalateAfterMs[priority]
    if (ms !== null) escalateAfterMs[priority] = ms
  }
  return { escalateAfterMs, silence: { defaultMs: alarms.silenceDefaultMs, maxMs: alarms.silenceMaxMs } }
}
