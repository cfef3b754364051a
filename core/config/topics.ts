import { z } from 'zod'
import { CHANNELS, type ChannelName } from '../telemetry/topics.js'

/**
 * How durable each channel is: replication factor and `min.insync.replicas`, with per-channel
 * overrides. With acks=all a write is acknowledged once `min.insync.replicas` replicas have it, so
 * RF 3 with min ISR 1 acknowledges records only the leader holds: a PUBACK lost with the leader
 * (issue #10, finding 4). Default min ISR is min(2, RF): RF 3 → 2, RF 1 → 1 (the local stack).
 */

const CHANNEL_NAMES = Object.values(CHANNELS) as [ChannelName, ...ChannelName[]]

const channelOverrideSchema = z.strictObject({
  replicationFactor: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe('Replication factor of this channel; default `kafka.topics.replicationFactor`.'),
  minInsyncReplicas: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe('min.insync.replicas of this channel; default min(2, its replication factor).'),
  retentionMs: z
    .number()
    .int()
    .min(-1)
    .optional()
    .describe('retention.ms of this channel (-1: keep forever); default the channel’s own retention.'),
})

export interface ChannelDurability {
  replicationFactor: number
  minInsyncReplicas: number
  /** Set only when configured: otherwise the channel's own retention applies. */
  retentionMs?: number
}

interface TopicsInput {
  replicationFactor: number
  minInsyncReplicas?: number | undefined
  channels: Partial<Record<ChannelName, z.output<typeof channelOverrideSchema>>>
}

/** The durability one channel gets from the config (not yet checked against min ISR ≤ RF). */
export function channelDurability(topics: TopicsInput, channel: ChannelName): ChannelDurability {
  const override = topics.channels[channel] ?? {}
  const replicationFactor = override.replicationFactor ?? topics.replicationFactor
  const minInsyncReplicas =
    override.minInsyncReplicas ?? topics.minInsyncReplicas ?? Math.min(2, replicationFactor)
  return {
    replicationFactor,
    minInsyncReplicas,
    ...(override.retentionMs !== undefined ? { retentionMs: override.retentionMs } : {}),
  }
}

export const topicsSchema = z
  .strictObject({
    replicationFactor: z
      .number()
      .int()
      .min(1)
      .default(1)
      .describe(
        'Replication factor of the channels a process creates: 1 on the one-broker local stack, 3 in production.',
      ),
    minInsyncReplicas: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe(
        'min.insync.replicas of every channel (replicas that must have a record before acks=all answers); default min(2, replication factor). Never above the replication factor.',
      ),
    channels: z
      .partialRecord(z.enum(CHANNEL_NAMES), channelOverrideSchema)
      .default({})
      .describe('Per-channel overrides, keyed by channel name (e.g. `telemetry.vitals.v1`).'),
  })
  .superRefine((topics, ctx) => {
    // Checked for every channel, overridden or not: a global min ISR 2 with RF 1 fails all of them.
    for (const channel of CHANNEL_NAMES) {
      const { replicationFactor, minInsyncReplicas } = channelDurability(topics, channel)
      if (minInsyncReplicas > replicationFactor) {
        ctx.addIssue({
          code: 'custom',
          path: ['channels', channel],
          message: `min.insync.replicas ${minInsyncReplicas} is above the replication factor ${replicationFactor} of ${channel}: every acks=all write to it would fail (NOT_ENOUGH_REPLICAS)`,
        })
      }
    }
  })
export type TopicsConfig = z.output<typeof topicsSchema>
