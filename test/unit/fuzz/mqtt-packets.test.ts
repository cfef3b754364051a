import mqttPacket from 'mqtt-packet'
import { describe, expect, it } from 'vitest'
import { planSession, type MqttFuzzOptions, type MqttFuzzStats } from '../../../bench/fuzz/mqtt-fuzz.js'
import { createRng, MAX_REMAINING_LENGTH, remainingLength } from '../../../bench/fuzz/mqtt-packets.js'

const options = { hugeBodyBytes: 1024, payloads: [Buffer.from('payload')] } as unknown as MqttFuzzOptions
const self = { id: 'fz-1', secret: 's3cret' }
const freshStats = (): MqttFuzzStats => ({
  sessions: 0,
  packets: 0,
  bytesSent: 0,
  kinds: {},
  mutations: {},
  answered: 0,
  bytesReceived: 0,
  receivedByKind: {},
  closedByGateway: 0,
  closedByFuzzer: 0,
  socketErrors: 0,
})

describe('unit > fuzz > MQTT session plans', () => {
  it('replays the same session from the same seed', () => {
    const a = planSession(createRng(42), self, options, freshStats())
    const b = planSession(createRng(42), self, options, freshStats())
    expect(a).toEqual(b)
  })

  it('reaches every session kind and every mutation, and an authenticated session opens with a valid CONNECT', () => {
    const stats = freshStats()
    const kinds = new Set<string>()
    for (let i = 0; i < 2_000; i++) {
      const plan = planSession(createRng(i), self, options, stats)
      kinds.add(plan.kind)
      if (plan.kind === 'session') {
        const packets: mqttPacket.Packet[] = []
        const parser = mqttPacket.parser({ protocolVersion: 4 })
        parser.on('packet', (p) => packets.push(p))
        parser.parse(Buffer.concat(plan.chunks))
        expect(packets[0]).toMatchObject({ cmd: 'connect', clientId: self.id, username: self.id })
      }
    }
    expect([...kinds].sort()).toEqual(['connect-mutated', 'huge-length', 'pre-connect', 'random', 'session'])
    expect(Object.keys(stats.mutations).sort()).toEqual([
      'duplicate',
      'flags',
      'flip',
      'insert',
      'length',
      'truncate',
      'type',
    ])
  })

  it('encodes remaining lengths up to the MQTT maximum', () => {
    expect(remainingLength(0)).toEqual(Buffer.from([0]))
    expect(remainingLength(321)).toEqual(Buffer.from([0xc1, 0x02]))
    expect(remainingLength(MAX_REMAINING_LENGTH)).toEqual(Buffer.from([0xff, 0xff, 0xff, 0x7f]))
  })
})
