import type { PublishPacket } from 'aedes'
import { describe, expect, it } from 'vitest'
import { createQos2Dedupe } from '../../../gateway/qos2-dedupe.js'

const client = { id: 'dev-1' }
const packet = (messageId: number, qos: 0 | 1 | 2 = 2): PublishPacket => ({
  cmd: 'publish',
  topic: 'devices/dev-1/telemetry',
  payload: Buffer.from('x'),
  qos,
  messageId,
  dup: true,
  retain: false,
})

/** aedes' incoming store: packet ids stored (PUBREC sent, PUBREL not yet received). */
function store(ids: number[]) {
  const stored = new Set(ids)
  return {
    incomingGetPacket: (_c: { id: string }, p: { messageId: number }) =>
      stored.has(p.messageId) ? Promise.resolve(p) : Promise.reject(new Error('no such packet')),
  }
}

function deferred() {
  let resolve!: () => void
  let reject!: (err: Error) => void
  const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)))
  return { promise, resolve, reject }
}

describe('gateway > QoS 2 duplicate suppression before produce', () => {
  it('does not produce a packet id that awaits its PUBREL', async () => {
    let produced = 0
    const dedupe = createQos2Dedupe(store([7]))
    expect(await dedupe.forward(client, packet(7), () => (produced++, Promise.resolve()))).toBe('duplicate')
    expect(await dedupe.forward(client, packet(8), () => (produced++, Promise.resolve()))).toBe('produced')
    expect(produced).toBe(1)
  })

  it('waits for a copy still in flight instead of producing beside it', async () => {
    const first = deferred()
    let produced = 0
    const dedupe = createQos2Dedupe(store([]))
    const original = dedupe.forward(client, packet(9), () => (produced++, first.promise))
    await Promise.resolve()
    const resent = dedupe.forward(client, packet(9), () => (produced++, Promise.resolve()))
    first.resolve()
    expect(await original).toBe('produced')
    expect(await resent).toBe('duplicate')
    expect(produced).toBe(1)
  })

  it('produces the resent copy when the one in flight failed (its connection closed)', async () => {
    const first = deferred()
    let produced = 0
    const dedupe = createQos2Dedupe(store([]))
    const original = dedupe.forward(client, packet(10), () => (produced++, first.promise))
    await Promise.resolve()
    const resent = dedupe.forward(client, packet(10), () => (produced++, Promise.resolve()))
    first.reject(new Error('withdrawn'))
    await expect(original).rejects.toThrow('withdrawn')
    expect(await resent).toBe('produced')
    expect(produced).toBe(2)
  })

  it('leaves QoS 0 and 1 alone, and keys by client', async () => {
    let produced = 0
    const dedupe = createQos2Dedupe(store([7]))
    await dedupe.forward(client, packet(7, 1), () => (produced++, Promise.resolve()))
    await dedupe.forward({ id: 'dev-2' }, packet(3), () => (produced++, Promise.resolve()))
    expect(produced).toBe(2)
  })
})
