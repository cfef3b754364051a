import type { PublishPacket } from 'aedes'

/** aedes' incoming QoS 2 store (aedes-persistence): rejects when the packet id is not stored. */
export interface IncomingStore {
  incomingGetPacket(client: { id: string }, packet: { messageId: number }): Promise<unknown>
}

export interface Qos2Dedupe {
  /**
   * Runs `produce` for a publish unless it is a QoS 2 retransmission of a packet id of this
   * client that is being produced now or was produced and awaits its PUBREL; resolves
   * 'duplicate' then (the caller lets aedes answer it: aedes finds it in its store and sends
   * PUBREC without delivering it again).
   */
  forward(
    client: { id: string },
    packet: PublishPacket,
    produce: () => Promise<void>,
  ): Promise<'produced' | 'duplicate'>
}

/**
 * Issue #10, finding 6: aedes checks its QoS 2 store for a retransmission [MQTT-4.3.3-2] only
 * after `authorizePublish`, where the gateway produces, so a DUP resent after a reconnect was
 * produced to Kafka a second time. Checked here first, by packet id whatever the DUP flag (as
 * aedes does): the id stays taken until PUBREL. A copy still in flight (its old connection
 * waiting for the delivery report) is waited for, not produced beside it; if that copy failed
 * or was withdrawn with its connection, this one is produced.
 */
export function createQos2Dedupe(incoming: IncomingStore): Qos2Dedupe {
  /** Per client and packet id: resolves true once that copy is in Kafka (or was already), false if it failed. */
  const inFlight = new Map<string, Promise<boolean>>()

  async function stored(client: { id: string }, messageId: number): Promise<boolean> {
    return incoming.incomingGetPacket(client, { messageId }).then(
      () => true,
      () => false,
    )
  }

  return {
    async forward(client, packet, produce) {
      const messageId = packet.messageId
      if (packet.qos !== 2 || messageId === undefined) {
        await produce()
        return 'produced'
      }
      const key = `${client.id}\u0000${messageId}`
      for (let earlier = inFlight.get(key); earlier; earlier = inFlight.get(key)) {
        if (await earlier) return 'duplicate'
        if (inFlight.get(key) === earlier) inFlight.delete(key)
      }
      // Taken synchronously after the loop: a copy arriving while this one is checked waits for it.
      const work = (async (): Promise<'produced' | 'duplicate'> => {
        if (await stored(client, messageId)) return 'duplicate'
        await produce()
        return 'produced'
      })()
      const entry = work.then(
        () => true,
        () => false,
      )
      inFlight.set(key, entry)
      void entry.then(() => {
        if (inFlight.get(key) === entry) inFlight.delete(key)
      })
      return work
    },
  }
}
